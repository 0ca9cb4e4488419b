/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet crypto of the transport on the worker engine (dataplane/workers.h).
 *
 * Each direction keeps a ring of slots, one per packet, each embedding the
 * packet's cryp_op (op.user points back to the slot), so nothing is
 * allocated per packet.  Packets stay where they are framed (output queue)
 * or received (input queue); the engine works on them in place.  Neither
 * queue may move its bytes while an operation on them is in flight, so a
 * reservation that would compact or grow a queue first waits for them
 * (tport_wq_settle()); the queues are allocated large enough for that to
 * be rare.
 *
 * Output: tport_send() frames the packet, takes its sequence number and
 * queues its slot; slots go to the engine in bursts.  Completed slots at
 * the head are retired in order, and their bytes become visible to
 * tport_output().
 *
 * Input: tport_input() reads the lengths of the whole packets that arrived
 * (on this thread: clear for AES-GCM and -etm MACs, through a twin session
 * for chacha20-poly1305, and through the session itself when nothing is in
 * flight for AES-CTR without -etm, whose length decryption depends on the
 * counter), checks them, and queues their slots.  tport_read_packet()
 * returns the head slot once it completed, with the same checks as the
 * inline path.  An error found while reading ahead is returned when the
 * packets before it have been read.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "transport_priv.h"

#define WQ_MASK (TPORT_WQ_SLOTS - 1)
#define WQ_COLLECT 64u

static struct tport_slot *
wq_slot(struct tport_wq *q, uint32_t i)
{
	return &q->s[i & WQ_MASK];
}

/* Operations of q not yet handed back by the engine. */
static bool
wq_busy(const struct tport_wq *q)
{
	return q->inflight != 0 || q->sub != q->tail;
}

/*
 * Every completion the port has now.  The port may be shared: each
 * operation marks its own slot, whichever tport it belongs to.
 */
static void
wq_collect(struct wrk_port *port)
{
	struct cryp_op *ops[WQ_COLLECT];
	struct tport_slot *sl;
	uint32_t n, i;

	do {
		n = wrk_collect_burst(port, ops, WQ_COLLECT);
		for (i = 0; i < n; i++) {
			sl = ops[i]->user;
			sl->done = true;
			sl->q->inflight--;
		}
	} while (n == WQ_COLLECT);
}

/* Hand [sub, tail) to the engine, as much as it accepts. */
static void
wq_submit(struct tport *t, struct tport_wq *q)
{
	struct cryp_op *ops[TPORT_WQ_BATCH];
	uint32_t n, i, a;

	while (q->on && q->sub != q->tail) {
		n = q->tail - q->sub;
		if (n > TPORT_WQ_BATCH)
			n = TPORT_WQ_BATCH;
		for (i = 0; i < n; i++)
			ops[i] = &wq_slot(q, q->sub + i)->op;
		a = wrk_submit_burst(t->wport, &q->wf, ops, n);
		q->sub += a;
		q->inflight += a;
		if (a < n)
			break;
	}
}

/* Retire completed output packets in order; a failed one is fatal. */
static void
wq_tx_advance(struct tport *t)
{
	struct tport_wq *q = &t->tx.wq;
	struct tport_slot *sl;

	while (q->head != q->sub) {
		sl = wq_slot(q, q->head);
		if (!sl->done)
			break;
		if (sl->op.status != 0) {
			if (t->out_err == 0)
				t->out_err = sl->op.status;
			break;
		}
		q->bytes -= sl->total;
		q->head++;
	}
}

int
tport_wq_settle(struct tport *t, struct tport_dir *d)
{
	struct tport_wq *q = &d->wq;
	int r;

	if (t->wport == NULL)
		return 0;
	for (;;) {
		/* Collect first: that makes room for what is still waiting. */
		wq_collect(t->wport);
		wq_submit(t, q);
		if (!wq_busy(q))
			break;
		if (wrk_port_pending(t->wport) == 0)
			return QSSH_ERR_INTERNAL; /* the engine takes none */
		r = wrk_port_wait(t->wport, -1);
		if (r != 0 && r != QSSH_ERR_AGAIN)
			return r;
	}
	if (d == &t->tx)
		wq_tx_advance(t);
	return 0;
}

int
tport_wq_bind(struct tport *t, struct tport_dir *d)
{
	int r;

	if (t->wport == NULL || d->sess == NULL || d->wq.on)
		return 0;
	/* A session of another backend than the workers' runs inline. */
	if (cryp_session_backend(d->sess) != t->backend)
		return 0;
	/*
	 * Input of AES-CTR with a non-etm MAC: the next length is under the
	 * counter stream and can only be read when nothing is in flight, so
	 * the workers would take one packet at a time, each a round trip
	 * (about three times slower than inline, measured): inline.
	 */
	if (d == &t->rx && !d->len_excluded &&
	    d->cipher_id != CRYP_CIPHER_CHACHA20_POLY1305)
		return 0;
	/*
	 * chacha20-poly1305 input reads lengths with a second session made
	 * when keys are set with workers attached; attached later, the
	 * input stays inline until the next keys.
	 */
	if (d == &t->rx && d->cipher_id == CRYP_CIPHER_CHACHA20_POLY1305 &&
	    d->peek_sess == NULL)
		return 0;
	if ((r = wrk_flow_init(&d->wq.wf, t->wport, d->sess, d->cipher_id)) !=
	    0)
		return r;
	d->wq.on = true;
	return 0;
}

int
tport_wq_unbind(struct tport *t, struct tport_dir *d)
{
	int r;

	if (!d->wq.on)
		return 0;
	if ((r = tport_wq_settle(t, d)) != 0)
		return r;
	/*
	 * Input read ahead under the old keys, yet after the peer's NEWKEYS:
	 * it was decrypted with the wrong keys.  A peer cannot do that
	 * without breaking the protocol (see rx_serial).
	 */
	if (d == &t->rx && d->wq.head != d->wq.tail) {
		if (t->in_err == 0)
			t->in_err = QSSH_ERR_PROTOCOL;
		return t->in_err;
	}
	(void)wrk_flow_cleanup(&d->wq.wf);
	d->wq.on = false;
	return 0;
}

void
tport_wq_detach(struct tport *t)
{
	if (t->wport == NULL)
		return;
	(void)tport_wq_settle(t, &t->tx);
	(void)tport_wq_settle(t, &t->rx);
	if (t->tx.wq.on)
		(void)wrk_flow_cleanup(&t->tx.wq.wf);
	if (t->rx.wq.on)
		(void)wrk_flow_cleanup(&t->rx.wq.wf);
	t->tx.wq.on = t->rx.wq.on = false;
	t->wport = NULL;
}

int
tport_wq_tx_room(struct tport *t, size_t total)
{
	struct tport_wq *q = &t->tx.wq;
	int r;

	while (q->tail - q->head == TPORT_WQ_SLOTS) {
		wq_collect(t->wport);
		wq_submit(t, q);
		wq_tx_advance(t);
		if (t->out_err != 0)
			return t->out_err;
		if (q->tail - q->head < TPORT_WQ_SLOTS)
			break;
		if (wrk_port_pending(t->wport) == 0)
			return QSSH_ERR_INTERNAL;
		r = wrk_port_wait(t->wport, -1);
		if (r != 0 && r != QSSH_ERR_AGAIN)
			return r;
	}
	if (tport_fifo_would_move(&t->out, total))
		return tport_wq_settle(t, &t->tx);
	return 0;
}

void
tport_wq_tx_add(
    struct tport *t, uint8_t *p, uint32_t plen, uint32_t total, uint32_t seqnr)
{
	struct tport_wq *q = &t->tx.wq;
	struct tport_slot *sl = wq_slot(q, q->tail);

	memset(&sl->op, 0, sizeof(sl->op));
	sl->op.sess = t->tx.sess;
	sl->op.pkt = p;
	sl->op.pkt_len = 4 + plen;
	sl->op.tag = p + 4 + plen;
	sl->op.seqnr = seqnr;
	sl->op.user = sl;
	sl->q = q;
	sl->total = total;
	sl->plen = plen;
	sl->done = false;
	q->tail++;
	q->bytes += total;
	if (q->tail - q->sub >= TPORT_WQ_BATCH)
		wq_submit(t, q);
}

/* packet_length of the packet at p, or false to stop reading ahead. */
static bool
rx_length(struct tport *t, const uint8_t *p, uint32_t *plen)
{
	struct tport_dir *d = &t->rx;
	struct tport_wq *q = &d->wq;
	struct cryp_session *s;
	int r;

	if (d->first_len == 4 &&
	    d->cipher_id != CRYP_CIPHER_CHACHA20_POLY1305) {
		*plen = qssh_get_u32be(p);
		return true;
	}
	/* The session is the workers' while anything of it is queued. */
	if ((s = d->peek_sess) == NULL) {
		if (wq_busy(q))
			return false;
		s = d->sess;
	}
	r = cryp_session_peek_length(
	    s, d->seqnr + (q->tail - q->head), p, d->first_len, plen);
	if (r != 0) {
		t->rx_scan_err = r;
		return false;
	}
	return true;
}

void
tport_wq_rx_scan(struct tport *t)
{
	struct tport_dir *d = &t->rx;
	struct tport_wq *q = &d->wq;
	struct tport_slot *sl;
	uint32_t plen, total;
	size_t avail;
	uint8_t *p;
	int r;

	if (!q->on)
		return;
	if (q->head == q->tail)
		t->have_len = false; /* the length is read again here */
	while (t->in_err == 0 && t->rx_scan_err == 0 && !t->rx_serial &&
	    q->tail - q->head < TPORT_WQ_SLOTS) {
		avail = tport_fifo_len(&t->in) - q->bytes;
		if (avail < d->first_len)
			break;
		p = tport_fifo_ptr(&t->in) + q->bytes;
		if (!rx_length(t, p, &plen))
			break;
		if ((r = tport_check_plen(d, plen)) != 0) {
			t->rx_scan_err = r;
			break;
		}
		total = 4 + plen + d->tag_len;
		if (avail < total)
			break;
		sl = wq_slot(q, q->tail);
		memset(&sl->op, 0, sizeof(sl->op));
		sl->op.sess = d->sess;
		sl->op.pkt = p;
		sl->op.pkt_len = 4 + plen;
		sl->op.tag = p + 4 + plen;
		sl->op.seqnr = d->seqnr + (q->tail - q->head);
		sl->op.user = sl;
		sl->q = q;
		sl->total = total;
		sl->plen = plen;
		sl->done = false;
		q->tail++;
		q->bytes += total;
	}
	wq_submit(t, q);
}

int
tport_wq_read(struct tport *t, uint8_t *type, struct qssh_view *payload)
{
	struct tport_wq *q = &t->rx.wq;
	struct tport_slot *sl;
	uint32_t total;
	int r;

	if (t->wport != NULL) {
		wq_collect(t->wport);
		tport_wq_rx_scan(t);
	}
	if (q->head == q->tail) {
		if (t->rx_scan_err != 0)
			return t->rx_scan_err;
		/* Nothing read ahead: no whole packet, or one at a time. */
		if (q->on && !t->rx_serial)
			return QSSH_ERR_AGAIN;
		return tport_read_inline(t, type, payload);
	}
	sl = wq_slot(q, q->head);
	if (!sl->done)
		return QSSH_ERR_AGAIN;
	if (sl->op.status != 0)
		return sl->op.status;
	total = sl->total;
	/* The head slot's packet is the first in the input queue. */
	r = tport_finish_packet(
	    t, tport_fifo_ptr(&t->in), sl->plen, total, type, payload);
	if (r != 0)
		return r;
	q->head++;
	q->bytes -= total;
	/* A slot is free: read further ahead (nothing moves). */
	if (t->wport != NULL)
		tport_wq_rx_scan(t);
	return 0;
}

/* ---- public ---- */

int
tport_attach_workers(struct tport *t, struct wrk_port *port)
{
	int r;

	if (t == NULL || (t->relay && port != NULL))
		return QSSH_ERR_INVALID_ARGUMENT;
	if (port == t->wport)
		return 0;
	tport_wq_detach(t);
	if (port == NULL)
		return 0;
	if (t->tx.wq.s == NULL &&
	    (t->tx.wq.s = calloc(TPORT_WQ_SLOTS, sizeof(*t->tx.wq.s))) == NULL)
		return QSSH_ERR_ALLOC;
	if (t->rx.wq.s == NULL &&
	    (t->rx.wq.s = calloc(TPORT_WQ_SLOTS, sizeof(*t->rx.wq.s))) == NULL)
		return QSSH_ERR_ALLOC;
	t->wport = port;
	/*
	 * Attached with keys in place: a length read inline is read again
	 * by the workers' scan (reading one changes no state).
	 */
	t->have_len = false;
	if (t->in.max < TPORT_INPUT_MAX_WQ)
		t->in.max = TPORT_INPUT_MAX_WQ;
	t->in.min_alloc = t->out.min_alloc = TPORT_FIFO_WQ_MIN;
	if ((r = tport_wq_bind(t, &t->tx)) != 0 ||
	    (r = tport_wq_bind(t, &t->rx)) != 0) {
		tport_wq_detach(t);
		return r;
	}
	return 0;
}

int
tport_flush(struct tport *t)
{
	if (t->wport == NULL)
		return t->out_err;
	wq_submit(t, &t->tx.wq);
	tport_wq_rx_scan(t);
	wq_collect(t->wport);
	wq_tx_advance(t);
	/* What back-pressure held back may fit now. */
	wq_submit(t, &t->tx.wq);
	tport_wq_rx_scan(t);
	return t->out_err;
}

bool
tport_work_pending(const struct tport *t)
{
	return wq_busy(&t->tx.wq) || wq_busy(&t->rx.wq);
}

int
tport_event_fd(const struct tport *t)
{
	return t->wport == NULL ? -1 : wrk_port_event_fd(t->wport);
}

/* Completed work of t waits for tport_flush() or tport_read_packet(). */
static bool
own_ready(struct tport *t)
{
	struct tport_wq *tq = &t->tx.wq, *rq = &t->rx.wq;

	if (tq->head != tq->sub && t->out_err == 0 &&
	    wq_slot(tq, tq->head)->done)
		return true;
	return rq->head != rq->sub && wq_slot(rq, rq->head)->done;
}

bool
tport_arm_event(struct tport *t)
{
	if (t->wport == NULL)
		return false;
	if (own_ready(t))
		return true;
	if (!tport_work_pending(t))
		return false;
	return wrk_port_arm(t->wport);
}

int
tport_wait(struct tport *t, int timeout_ms)
{
	int r;

	if (t->wport == NULL || !tport_work_pending(t))
		return QSSH_ERR_AGAIN;
	(void)tport_flush(t);
	if (own_ready(t) || !tport_work_pending(t))
		return 0;
	r = wrk_port_wait(t->wport, timeout_ms);
	(void)tport_flush(t);
	return r == QSSH_ERR_AGAIN ? 0 : r;
}
