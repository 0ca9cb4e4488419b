/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/err.h"
#include "fido/sk.h"

#if QSSH_WITH_FIDO2
#include <fido.h>
#endif

bool
sk_provider_built(void)
{
	return QSSH_WITH_FIDO2 != 0;
}

int
sk_device_count(void)
{
#if QSSH_WITH_FIDO2
	fido_dev_info_t *devs;
	size_t n = 0;
	int r;

	fido_init(0);
	if ((devs = fido_dev_info_new(16)) == NULL)
		return QSSH_ERR_ALLOC;
	r = fido_dev_info_manifest(devs, 16, &n);
	fido_dev_info_free(&devs, 16);
	if (r != FIDO_OK)
		return QSSH_ERR_NOT_SUPPORTED;
	return (int)n;
#else
	return QSSH_ERR_NOT_SUPPORTED;
#endif
}
