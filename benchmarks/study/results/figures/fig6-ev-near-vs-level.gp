set terminal svg size 1200,800 dynamic noenhanced
set output 'fig6-ev-near-vs-level.svg'
set title 'E-V RMSE within +-10% (mean over hcp, fcc, dhcp, bcc)'
set xlabel 'level'
set ylabel 'E-V RMSE (meV/atom)'
set key outside right top
set grid
set xrange [7.0:17.0]
set logscale y
set xtics 4.0
set format x '%g'
plot 'fig6-ev-near-vs-level.dat' using 1:2 with linespoints lw 2 lc 1 dt 1 pt 4 ps 1.3 title 'VOLMIN, 5.20 A', \
     'fig6-ev-near-vs-level.dat' using 1:3 with linespoints lw 2 lc 1 dt 2 pt 6 ps 1.3 title 'VOLMIN, 6.50 A', \
     'fig6-ev-near-vs-level.dat' using 1:4 with linespoints lw 2 lc 2 dt 1 pt 4 ps 1.3 title 'RATTLE, 5.20 A', \
     'fig6-ev-near-vs-level.dat' using 1:5 with linespoints lw 2 lc 2 dt 2 pt 6 ps 1.3 title 'RATTLE, 6.50 A', \
     'fig6-ev-near-vs-level.dat' using 1:6 with linespoints lw 2 lc 3 dt 1 pt 4 ps 1.3 title 'EVERYTHING, 5.20 A', \
     'fig6-ev-near-vs-level.dat' using 1:7 with linespoints lw 2 lc 3 dt 2 pt 6 ps 1.3 title 'EVERYTHING, 6.50 A'
