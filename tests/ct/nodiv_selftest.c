/* SPDX-License-Identifier: BSD-2-Clause */
/* A division by a run-time value: nodiv.sh must reject this object. */
unsigned ct_nodiv_selftest(unsigned a, unsigned b);

unsigned
ct_nodiv_selftest(unsigned a, unsigned b)
{
	return a / b;
}
