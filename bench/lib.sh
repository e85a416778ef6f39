# Helpers for the bench scripts: medians and the closing JSON line.

# median FILE [COLUMN]: the median of a column of numbers (default 1)
median() {
    awk -v c="${2:-1}" '{print $c}' "$1" | sort -n | awk '{v[NR]=$1} END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'
}

# calc EXPR: floating point arithmetic
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
