/* SPDX-License-Identifier: ISC */
/*
 * shamir.h: Shamir's secret sharing over a prime field, as clevis's sss pin
 * does it (tokens-clevis-systemd.md §1.5): a safe prime p of 8 * bytes bits,
 * a random polynomial of degree threshold - 1 whose constant term is the
 * secret, and points (x, y) written as x || y, each big-endian and exactly
 * `bytes` long.  Built with WITH_CLEVIS only (OpenSSL bignums).
 *
 * Returns 0 or a negative errno: -EINVAL for a bad size, threshold or
 * point, -ENOMEM, -EIO when the bignum library fails.
 */
#ifndef LV_SHAMIR_H
#define LV_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"

#define LV_SHAMIR_BYTES_MAX 64
#define LV_SHAMIR_THRESHOLD_MAX 255

struct lv_shamir;

/* A new prime and polynomial; the secret is random. */
int lv_shamir_new(size_t bytes, unsigned threshold, struct lv_shamir **shamir);
void lv_shamir_free(struct lv_shamir **shamir);

size_t lv_shamir_bytes(const struct lv_shamir *shamir);
/* p, big-endian, lv_shamir_bytes() long. */
const uint8_t *lv_shamir_prime(const struct lv_shamir *shamir);
/* The constant term (the shared secret), big-endian, bytes long. */
int lv_shamir_secret(const struct lv_shamir *shamir, struct lv_secret **secret);
/* A new point at a random non-zero x: 2 * bytes in *point. */
int lv_shamir_point(const struct lv_shamir *shamir, struct lv_secret **point);

/* Lagrange interpolation at 0 of count distinct points (each 2 * bytes,
 * coordinates below p) over the prime p (bytes long, big-endian). */
int lv_shamir_combine(const uint8_t *prime, size_t bytes, const struct lv_secret *const points[],
		      unsigned count, struct lv_secret **secret);

#endif
