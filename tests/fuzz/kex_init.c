/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_kexinit: KEXINIT parsing and negotiation in both roles. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "control/kex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fill(struct kex_proposal_set *p, enum kex_role role)
{
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < KEX_PROP_MAX; i++)
		p->names[i] = strdup(i >= KEX_PROP_LANG_C2S
			? ""
			: kex_default_list((enum kex_proposal)i, role));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kex_proposal_set peer, ours, again;
	struct kex_choice ch;
	struct qssh_buf *b;
	char *detail = NULL;

	if (kex_proposal_parse(qssh_view_make(data, size), &peer) != 0)
		return 0;
	/* The peer as client, us as server, and the other way round. */
	fill(&ours, KEX_ROLE_SERVER);
	if (kex_negotiate(&peer, &ours, KEX_ROLE_SERVER, true, &ch, &detail) ==
	    0)
		kex_choice_cleanup(&ch);
	free(detail);
	detail = NULL;
	kex_proposal_cleanup(&ours);
	fill(&ours, KEX_ROLE_CLIENT);
	if (kex_negotiate(&ours, &peer, KEX_ROLE_CLIENT, false, &ch, &detail) ==
	    0)
		kex_choice_cleanup(&ch);
	free(detail);
	kex_proposal_cleanup(&ours);
	/* What we parsed encodes and parses back. */
	if ((b = qssh_buf_new()) != NULL) {
		if (kex_proposal_build(&peer, b) == 0 &&
		    kex_proposal_parse(qssh_buf_view(b), &again) == 0)
			kex_proposal_cleanup(&again);
		qssh_buf_free(b);
	}
	kex_proposal_cleanup(&peer);
	return 0;
}
