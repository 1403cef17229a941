set terminal svg size 1200,800 dynamic noenhanced
set output 'fig5-cost-vs-error.svg'
set title 'Cost against energy RMSE on the whole training set (Pareto front)'
set xlabel 'cost (microseconds per atom per force call)'
set ylabel 'energy RMSE on the whole set (meV/atom)'
set key outside right top
set grid
set logscale y
set logscale x
plot 'fig5-cost-vs-error.dat' using 1:2 with points pt 7 ps 1 title 'fits', \
     'fig5-cost-vs-error.dat' using 1:3 with linespoints lw 2 pt 6 ps 2 title 'Pareto front', \
     'fig5-cost-vs-error.dat' using 1:2:7 with labels offset char 0.8,0.8 font ',8' notitle
