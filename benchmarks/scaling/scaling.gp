# gnuplot script of scaling.svg; data in scaling-strong.dat, scaling-weak.dat, scaling-model.dat
set terminal svg size 1400,560 font 'sans,11'
set output 'scaling.svg'
set multiplot layout 1,3
set logscale x 2
set logscale y 10
set format y '%g'
set xlabel 'ranks'
set ylabel 'seconds'
set key below font 'sans,9' maxrows 4
set grid
set xrange [0.8:10.0]
set yrange [1e-4:*]
set arrow from 2.5, graph 0 to 2.5, graph 1 nohead dt 3
set label 'more ranks than cores' at 2.6, graph 0.05 font 'sans,9'
set title 'strong scaling (1000 configurations, level 08)'
plot 'scaling-strong.dat' u 1:4 w p pt 7 ps 1.2 lc rgb '#000000' t 'trainer iteration, CPU time', \
     '' u 1:3 w p pt 6 ps 1.2 lc rgb '#888888' t 'trainer iteration, wall time', \
     '' u 1:9 w l lw 2 lc rgb '#000000' t 'model (dedicated cores)', \
     '' u 1:10 w l dt 2 lc rgb '#888888' t 'model at measured CPU share', \
     '' u 1:5 w lp pt 4 lc rgb '#1f77b4' t 'compute (wall)', '' u 1:6 w lp pt 8 lc rgb '#d62728' t 'communication', \
     '' u 1:7 w lp pt 10 lc rgb '#ff7f0e' t 'wait', '' u 1:8 w lp pt 12 lc rgb '#2ca02c' t 'input (once per fit)'

set title 'weak scaling (125 configurations per rank)'
plot 'scaling-weak.dat' u 1:4 w p pt 7 ps 1.2 lc rgb '#000000' t 'trainer iteration, CPU time', \
     '' u 1:3 w p pt 6 ps 1.2 lc rgb '#888888' t 'trainer iteration, wall time', \
     '' u 1:9 w l lw 2 lc rgb '#000000' t 'model (dedicated cores)', \
     '' u 1:10 w l dt 2 lc rgb '#888888' t 'model at measured CPU share', \
     '' u 1:5 w lp pt 4 lc rgb '#1f77b4' t 'compute (wall)', '' u 1:6 w lp pt 8 lc rgb '#d62728' t 'communication', \
     '' u 1:7 w lp pt 10 lc rgb '#ff7f0e' t 'wait', '' u 1:8 w lp pt 12 lc rgb '#2ca02c' t 'input (once per fit)'

unset arrow
unset label
set xrange [1:1024]
set yrange [*:*]
set title 'model per iteration (level 08, InfiniBand assumed)'
plot 'scaling-model.dat' u 1:2 w lp t '1000 configurations', '' u 1:3 w lp t '100000 configurations'
unset multiplot
