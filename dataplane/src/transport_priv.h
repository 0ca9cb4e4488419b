/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private state of the transport core (transport.h), shared by transport.c,
 * version.c and compress.c.
 */
#ifndef QSSH_DATAPLANE_TRANSPORT_PRIV_H
#define QSSH_DATAPLANE_TRANSPORT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"
#include "dataplane/workers.h"

/* Longest MAC or tag any algorithm appends (hmac-sha2-512). */
#define TPORT_TAG_MAX 64
/* Largest packet on the wire: length field, packet, tag. */
#define TPORT_WIRE_MAX (4 + TPORT_PACKET_MAX + TPORT_TAG_MAX)
/* Input queue cap: two whole packets and some room for the version lines. */
#define TPORT_INPUT_MAX (2 * TPORT_WIRE_MAX + 16 * 1024)
/* Cap on packets held back during a key exchange. */
#define TPORT_HOLD_MAX (32UL * 1024 * 1024)
/* Random padding is taken from a pool refilled in batches. */
#define TPORT_PAD_POOL 4096
/*
 * With crypto workers: operations per direction in flight or waiting
 * (a power of two), operations handed to the engine at once, the input
 * queue cap and the queues' first allocation (the queues are moved only
 * when nothing is in flight, so a larger one is moved less often).
 */
#define TPORT_WQ_SLOTS 256u
#define TPORT_WQ_BATCH 32u
#define TPORT_INPUT_MAX_WQ (8UL * 1024 * 1024 + 2 * TPORT_WIRE_MAX)
#define TPORT_FIFO_WQ_MIN (4UL * 1024 * 1024)

/*
 * A byte queue with its own storage: appended at the end, consumed from the
 * front.  Consuming never moves or clears bytes, so a view of a consumed
 * packet stays valid until the next append.  Storage grows only to the
 * largest backlog seen, then is reused (compacted with memmove).
 */
struct tport_fifo {
	uint8_t *d;
	size_t off; /* first unconsumed byte */
	size_t end; /* end of data */
	size_t alloc; /* bytes allocated */
	size_t max; /* cap on end - off */
	size_t min_alloc; /* first allocation at least this */
	size_t dirty; /* bytes of d that ever held data: what is wiped */
};

int tport_fifo_reserve(struct tport_fifo *f, size_t len, uint8_t **dst);
void tport_fifo_unreserve(struct tport_fifo *f, size_t len);
void tport_fifo_consume(struct tport_fifo *f, size_t len);
void tport_fifo_cleanup(struct tport_fifo *f);

static inline size_t
tport_fifo_len(const struct tport_fifo *f)
{
	return f->end - f->off;
}

static inline uint8_t *
tport_fifo_ptr(const struct tport_fifo *f)
{
	return f->d == NULL ? NULL : f->d + f->off;
}

/* Reserving len bytes would move the queued bytes (compact or grow). */
static inline bool
tport_fifo_would_move(const struct tport_fifo *f, size_t len)
{
	return len > f->alloc - f->end && f->end != 0;
}

struct tport_wq;

/*
 * One packet's crypto operation on the worker engine.  op.user points
 * back here; 'done' is set when the port hands the operation back.
 */
struct tport_slot {
	struct cryp_op op;
	struct tport_wq *q;
	uint32_t total; /* wire bytes: length field, packet, tag */
	uint32_t plen; /* packet_length (input) */
	bool done;
};

/*
 * Operations of one direction, in packet order: [head, sub) submitted,
 * [sub, tail) framed or scanned but not yet accepted by the engine.
 * head is the oldest packet not yet written (output) or read (input).
 * Their bytes, 'bytes' in all, are the last of the output queue or the
 * first of the input queue.
 */
struct tport_wq {
	struct tport_slot *s; /* TPORT_WQ_SLOTS, allocated at attach */
	uint32_t head, sub, tail;
	uint32_t inflight; /* submitted and not yet handed back */
	size_t bytes;
	struct wrk_flow wf;
	bool on; /* wf is bound to the direction's session */
};

/* One zlib stream (deflate or inflate) kept for the whole connection. */
struct tport_zstream;

/* State of one direction. */
struct tport_dir {
	struct cryp_session *sess; /* NULL: no cipher, no MAC */
	enum cryp_cipher_id cipher_id;
	uint32_t block_len; /* padding multiple, at least 8 */
	uint32_t tag_len;
	uint32_t first_len; /* bytes needed to learn packet_length */
	bool len_excluded; /* AEAD/ETM: length not in the block multiple */
	uint32_t seqnr;
	bool keyed; /* keys set at least once */
	enum tport_comp comp; /* negotiated for the current keys */
	bool comp_on; /* compressing (or inflating) now */
	struct tport_zstream *z;
	/* Rekey accounting since the last keys. */
	uint64_t blocks, packets, bytes;
	uint64_t max_blocks;
	uint64_t keys_time_ms;
	/* Stats for the life of the connection. */
	uint64_t st_packets, st_bytes, st_payload;
	/* Crypto workers (tport_attach_workers()). */
	struct tport_wq wq;
	/* Input: a second session for lengths while the first is busy. */
	struct cryp_session *peek_sess;
};

struct tport {
	bool is_server;
	enum cryp_backend_id backend;
	bool strict_kex;
	bool kex_out; /* between kex_started and set_keys_out */
	bool disconnected; /* we queued DISCONNECT */
	bool authenticated;
	bool version_sent;
	bool version_read;
	bool relay; /* control end of a relay (relay.h) */
	bool relay_rekey; /* the dataplane asked for a rekey */
	uint32_t banner_lines; /* non-identification lines skipped */
	int in_err; /* sticky fatal input error */
	int out_err; /* sticky fatal output error */

	struct tport_fifo in, out;
	struct qssh_buf *hold; /* held records: u8 type, u32 len, payload */

	/* Incoming packet whose length is already known. */
	bool have_len;
	uint32_t cur_plen;

	/*
	 * Crypto workers.  rx_serial: we sent KEXINIT, so the peer may send
	 * NEWKEYS at any packet: no input is decrypted ahead of the reader
	 * until the new keys are in.  rx_scan_err: an error found ahead,
	 * returned once the packets before it are read.
	 */
	struct wrk_port *wport;
	bool rx_serial;
	int rx_scan_err;

	/*
	 * Scratch for inflated input and deflated output, reused.  Separate,
	 * so that a payload view may be passed straight back to tport_send().
	 */
	uint8_t *zin;
	size_t zin_len;
	uint8_t *zout;
	size_t zout_len;

	uint8_t pad_pool[TPORT_PAD_POOL];
	size_t pad_left;

	uint64_t rekey_bytes; /* 0 = cipher default */
	uint32_t rekey_seconds;

	struct tport_dir rx, tx;

	char local_version[TPORT_VERSION_MAX + 1];
	char remote_version[TPORT_VERSION_MAX + 1];
};

/* transport.c */
int tport_seqnr_advance(const struct tport *t, struct tport_dir *d);
int tport_check_plen(const struct tport_dir *d, uint32_t plen);
int tport_finish_packet(struct tport *t, const uint8_t *pkt, uint32_t plen,
    size_t total, uint8_t *type, struct qssh_view *payload);
/* The next packet, decrypted on this thread now. */
int
tport_read_inline(struct tport *t, uint8_t *type, struct qssh_view *payload);

/* transport_relay.c: the relay tport. */
int tport_relay_packet(
    struct tport *t, uint8_t type, const void *payload, size_t len);
int
tport_relay_simple(struct tport *t, uint8_t type, const void *body, size_t len);
int tport_relay_keys(struct tport *t, bool out, const struct tport_keys *k);
int tport_relay_version(struct tport *t, const char *ident);
int tport_relay_read_version(struct tport *t, const char **ident);
int tport_relay_read(struct tport *t, uint8_t *type, struct qssh_view *payload);

/* transport_wq.c: crypto on the worker engine. */
/* Bind the direction's session to a flow of t->wport (if both exist). */
int tport_wq_bind(struct tport *t, struct tport_dir *d);
/* Wait for the direction's operations, then unbind its flow. */
int tport_wq_unbind(struct tport *t, struct tport_dir *d);
/* Wait until none of the direction's operations is in flight. */
int tport_wq_settle(struct tport *t, struct tport_dir *d);
/* Before framing a packet of total bytes: a free slot, no queue move. */
int tport_wq_tx_room(struct tport *t, size_t total);
/* A framed packet at p (its slot was made free by tport_wq_tx_room()). */
void tport_wq_tx_add(
    struct tport *t, uint8_t *p, uint32_t plen, uint32_t total, uint32_t seqnr);
/* Hand the whole packets that arrived to the workers. */
void tport_wq_rx_scan(struct tport *t);
int tport_wq_read(struct tport *t, uint8_t *type, struct qssh_view *payload);
/* Wait for everything on the workers and unbind both flows. */
void tport_wq_detach(struct tport *t);

/* compress.c */
int tport_z_start(struct tport_dir *d, bool deflate_dir);
void tport_z_free(struct tport_zstream *z);
/*
 * Compress type byte + payload into t->zout; *outlen is the result length.
 */
int tport_z_deflate(struct tport *t, uint8_t type, const void *a, size_t alen,
    const void *b, size_t blen, size_t *outlen);
/* Inflate in into t->zin (at most TPORT_PACKET_MAX bytes). */
int
tport_z_inflate(struct tport *t, const uint8_t *in, size_t len, size_t *outlen);

#endif
