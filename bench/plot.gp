# plot.gp: bench/results.png from bench.py's ratios.dat
# (label median min max target): one bar per ratio, whiskers from min to
# max, the target as a red mark.  gnuplot -e "datafile='...'; outfile='...'"
set terminal pngcairo size 1400,700 font "sans,10"
set output outfile
set title "luksvol / reference, per-round ratios (median, min-max); below 1: luksvol is faster or smaller"
set logscale y 2
set yrange [0.03:4]
set ytics (0.0625, 0.125, 0.25, 0.5, 1, 2, 4)
set grid ytics
set style fill solid 0.6 border -1
set boxwidth 0.6
set xtics rotate by -35 left noenhanced font "sans,8"
set bmargin 10
set rmargin 8
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "black" lw 1.5
plot datafile using 0:2:xtic(1) with boxes lc rgb "#4a7ebb" title "median ratio", \
     '' using 0:2:3:4 with yerrorbars lc rgb "black" pt -1 title "min-max", \
     '' using 0:5 with points pt 5 ps 1.2 lc rgb "#d62728" title "target"
