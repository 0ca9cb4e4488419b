/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Security-key provider API (the shape of OpenSSH's sk-api): enrolment,
 * signing and resident-key loading through libfido2.  Only device probing
 * exists so far; enrolment and signing come with the FIDO issue.
 */
#ifndef QSSH_FIDO_SK_H
#define QSSH_FIDO_SK_H

#include <stdbool.h>

/* Whether the build includes libfido2 support. */
bool sk_provider_built(void);
/* Number of FIDO HID devices present, or a negative QSSH_ERR_*. */
int sk_device_count(void);

#endif
