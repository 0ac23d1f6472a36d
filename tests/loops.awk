# Reads "from to" edges; prints each loop (a strongly connected set of
# more than one part) as one line of sorted, space-separated names.
BEGIN { n = 0 }
{
    if (!($1 in id)) { id[$1] = n; name[n++] = $1 }
    if (!($2 in id)) { id[$2] = n; name[n++] = $2 }
    if ($1 != $2) reach[id[$1], id[$2]] = 1
}
END {
    for (k = 0; k < n; k++)
        for (i = 0; i < n; i++)
            if ((i, k) in reach)
                for (j = 0; j < n; j++)
                    if ((k, j) in reach) reach[i, j] = 1
    for (i = 0; i < n; i++) {
        if (i in done || !((i, i) in reach)) continue
        line = ""
        cnt = 0
        for (j = 0; j < n; j++)
            if (j == i || ((i, j) in reach && (j, i) in reach)) {
                done[j] = 1
                m[cnt++] = name[j]
            }
        # insertion sort, for a stable line to compare with the allow-list
        for (a = 1; a < cnt; a++) {
            v = m[a]
            for (b = a - 1; b >= 0 && m[b] > v; b--) m[b + 1] = m[b]
            m[b + 1] = v
        }
        for (a = 0; a < cnt; a++) line = line (a ? " " : "") m[a]
        print line
    }
}
