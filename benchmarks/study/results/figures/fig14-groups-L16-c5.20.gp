set terminal svg size 1200,800 dynamic noenhanced
set output 'fig14-groups-L16-c5.20.svg'
set title 'Energy RMSE per group of the set, level 16, cutoff 5.20 A, per training subset'
set xlabel 'group of the ASSYST set'
set ylabel 'energy RMSE (meV/atom)'
set key outside right top
set grid
set xrange [0.5:8.5]
set logscale y
set xtics ('RANDSPG' 1.0, 'VOLMIN' 2.0, 'CELLMIN' 3.0, 'INTMIN' 4.0, 'TRIAX' 5.0, 'SHEAR' 6.0, 'RATTLE' 7.0, '(all)' 8.0)
plot 'fig14-groups-L16-c5.20.dat' using 1:3 with linespoints lw 2 lc 1 dt 1 pt 4 ps 1.3 title 'trained on VOLMIN', \
     'fig14-groups-L16-c5.20.dat' using 1:4 with linespoints lw 2 lc 2 dt 1 pt 4 ps 1.3 title 'trained on RATTLE', \
     'fig14-groups-L16-c5.20.dat' using 1:5 with linespoints lw 2 lc 3 dt 1 pt 4 ps 1.3 title 'trained on EVERYTHING'
