# SPDX-License-Identifier: BSD-2-Clause
# qssh-bench results.csv -> SVG bar chart (three panels: bulk MB/s,
# handshakes/s, PSS per idle session).  Plain SVG 1.1, no scripts.
BEGIN { FS = ","; W = 960; PH = 300; TOP = 40 }
NR == 1 { next }
$1 == "bulk" && $6 == "mbps" { add("b", $5, $2, $7) }
$1 == "handshake" && $6 == "handshakes_per_s" { add("h", $5, $2, $7) }
$1 == "memory" && $6 == "pss_per_session" { add("m", "PSS KiB/session", $2, $7) }
$1 == "memory" && $6 == "rss_per_session" { add("m", "RSS KiB/session", $2, $7) }
$1 == "ceiling" && $2 == "iperf3" { iperf = $7 + 0 }
{ workers = $10; backend = $11 }
function add(p, grp, ser, v) {
	if (!((p SUBSEP grp) in gseen)) { gseen[p SUBSEP grp] = 1; ng[p]++; gname[p, ng[p]] = grp }
	if (!((p SUBSEP ser) in sseen)) { sseen[p SUBSEP ser] = 1; ns[p]++; sname[p, ns[p]] = ser }
	data[p, grp, ser] = v + 0
	if (v + 0 > vmax[p]) vmax[p] = v + 0
}
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); return s }
function nice(x,   e, f) {
	if (x <= 0) return 1
	e = 10 ^ int(log(x) / log(10)); f = x / e
	if (f <= 1) f = 1; else if (f <= 2) f = 2; else if (f <= 5) f = 5; else f = 10
	return f * e
}
function color(s) {
	if (s in col) return col[s]
	return pal[(++ncol - 1) % 6 + 1]
}
function panel(p, title, y0, ref, reflabel,   top, x0, pw, gw, bw, i, j, v, h, x, mx, t, yy, c, lab) {
	if (ng[p] == 0) return y0
	mx = vmax[p]; if (ref > mx) mx = ref
	mx = nice(mx)
	x0 = 80; pw = W - x0 - 180; top = y0 + 30
	printf "<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", x0, y0 + 18, esc(title)
	for (t = 0; t <= 4; t++) {
		yy = top + PH - PH * t / 4
		printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0, yy, x0 + pw, yy
		printf "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%g</text>\n", x0 - 6, yy + 4, mx * t / 4
	}
	gw = pw / ng[p]; bw = (gw * 0.8) / ns[p]
	for (i = 1; i <= ng[p]; i++) {
		for (j = 1; j <= ns[p]; j++) {
			if (!((p, gname[p, i], sname[p, j]) in data)) continue
			v = data[p, gname[p, i], sname[p, j]]
			h = PH * v / mx
			x = x0 + (i - 1) * gw + gw * 0.1 + (j - 1) * bw
			c = color(sname[p, j])
			printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s %s: %g</title></rect>\n",
			    x, top + PH - h, bw - 2, h, c, esc(sname[p, j]), esc(gname[p, i]), v
			printf "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"middle\">%g</text>\n",
			    x + (bw - 2) / 2, top + PH - h - 3, v
		}
		lab = gname[p, i]
		gsub(/@openssh\.com/, "", lab)
		printf "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
		    x0 + (i - 0.5) * gw, top + PH + 16, esc(lab)
	}
	if (ref > 0) {
		yy = top + PH - PH * ref / mx
		printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c00\" stroke-dasharray=\"6,4\"/>\n", x0, yy, x0 + pw, yy
		printf "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" fill=\"#c00\">%s</text>\n", x0 + 6, yy - 4, esc(reflabel)
	}
	for (j = 1; j <= ns[p]; j++) {
		printf "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x0 + pw + 10, top + 10 + j * 18, color(sname[p, j])
		printf "<text x=\"%d\" y=\"%d\" font-size=\"12\">%s</text>\n", x0 + pw + 28, top + 21 + j * 18, esc(sname[p, j])
	}
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#000\"/>\n", x0, top + PH, x0 + pw, top + PH
	return top + PH + 40
}
END {
	split("#1f77b4,#ff7f0e,#2ca02c,#d62728,#9467bd,#8c564b", pal, ",")
	col["ssh-sshd"] = "#7f7f7f"; col["qssh-qsshd"] = "#1f77b4"; col["ssh-qsshd"] = "#17becf"; col["qssh-sshd"] = "#ff7f0e"
	col["sshd"] = "#7f7f7f"; col["qsshd"] = "#1f77b4"; col["dropbear"] = "#2ca02c"
	n = (ng["b"] > 0) + (ng["h"] > 0) + (ng["m"] > 0)
	H = TOP + n * (PH + 70) + 20
	printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n", W, H, W, H
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n"
	printf "<text x=\"20\" y=\"24\" font-size=\"17\" font-weight=\"bold\">qssh-bench: qssh/qsshd vs OpenSSH on loopback</text>\n"
	printf "<text x=\"%d\" y=\"24\" font-size=\"11\" text-anchor=\"end\">QSSH_WORKERS=%s QSSH_CRYPTO_BACKEND=%s</text>\n", W - 20, esc(workers), esc(backend)
	y = TOP
	y = panel("b", "Bulk upload, MB/s (higher is better)", y, iperf, iperf > 0 ? "iperf3 single stream " iperf " MB/s" : "")
	y = panel("h", "Handshakes per second (higher is better)", y, 0, "")
	y = panel("m", "Server memory per idle session, KiB (lower is better)", y, 0, "")
	printf "</svg>\n"
}
