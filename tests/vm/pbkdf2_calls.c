/* SPDX-License-Identifier: ISC */
/*
 * pbkdf2_calls.c: `pbkdf2_calls HASH ITERATIONS` derives one 64-byte key
 * with lv_pbkdf2 and nothing else, so that t_kernel.sh can count the
 * system calls an iteration costs (strace) without an unlock's others.
 */
#include <stdio.h>
#include <stdlib.h>

#include "crypto/crypto.h"

int main(int argc, char **argv)
{
	uint8_t key[64];
	char *end;
	unsigned long iterations;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: pbkdf2_calls HASH ITERATIONS\n");
		return 1;
	}
	iterations = strtoul(argv[2], &end, 10);
	if (*end || iterations == 0 || iterations > UINT32_MAX) {
		fprintf(stderr, "pbkdf2_calls: bad iteration count %s\n", argv[2]);
		return 1;
	}
	r = lv_pbkdf2(argv[1], "passphrase", 10, "salt", 4, (uint32_t)iterations, key,
		      sizeof(key));
	lv_wipe(key, sizeof(key));
	if (r < 0) {
		fprintf(stderr, "pbkdf2_calls: lv_pbkdf2: error %d\n", r);
		return 1;
	}
	return 0;
}
