/* SPDX-License-Identifier: ISC */
/* rsa_pubkey.c: PEM, then DER SubjectPublicKeyInfo -> RSA modulus and exponent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "luks2/metadata.h"
#include "tpm/rsa_pubkey.h"

#define PEM_BEGIN "-----BEGIN "
#define PEM_TYPE "PUBLIC KEY"
#define PEM_DASHES "-----"
#define PEM_END "-----END " PEM_TYPE PEM_DASHES
#define DER_MAX 4096

enum der_tag {
	DER_INTEGER = 0x02,
	DER_BIT_STRING = 0x03,
	DER_NULL = 0x05,
	DER_OID = 0x06,
	DER_SEQUENCE = 0x30,
};

/* 1.2.840.113549.1.1.1 */
static const uint8_t oid_rsa_encryption[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01
};

struct der {
	const uint8_t *p;
	size_t len;
};

/* Takes one element with tag from in; its contents go to out.  DER: the
 * length in the fewest bytes, within what is left. */
static int der_take(struct der *in, uint8_t tag, struct der *out)
{
	size_t len, header = 2;

	if (in->len < 2 || in->p[0] != tag)
		return -EINVAL;
	len = in->p[1];
	if (len & 0x80) {
		size_t bytes = len & 0x7f;

		if (bytes == 0 || bytes > 2 || in->len < 2 + bytes || in->p[2] == 0)
			return -EINVAL;
		len = 0;
		for (size_t i = 0; i < bytes; i++)
			len = len << 8 | in->p[2 + i];
		if (len < 0x80)
			return -EINVAL;
		header += bytes;
	}
	if (len > in->len - header)
		return -EINVAL;
	out->p = in->p + header;
	out->len = len;
	in->p += header + len;
	in->len -= header + len;
	return 0;
}

/* A positive INTEGER in minimal form; value and len: its bytes without the
 * sign byte. */
static int der_positive_integer(struct der *in, const uint8_t **value, size_t *len)
{
	struct der n;

	if (der_take(in, DER_INTEGER, &n) < 0 || n.len == 0 || n.p[0] & 0x80)
		return -EINVAL;
	if (n.p[0] == 0) {
		if (n.len == 1 || !(n.p[1] & 0x80))
			return -EINVAL; /* zero, or a needless leading zero */
		n.p++;
		n.len--;
	}
	*value = n.p;
	*len = n.len;
	return 0;
}

static int der_rsa_public_key(struct der bits, struct lv_rsa_pubkey *key)
{
	struct der seq;
	const uint8_t *n, *e;
	size_t n_len, e_len;

	if (der_take(&bits, DER_SEQUENCE, &seq) < 0 || bits.len != 0)
		return -EINVAL;
	if (der_positive_integer(&seq, &n, &n_len) < 0 ||
	    der_positive_integer(&seq, &e, &e_len) < 0 || seq.len != 0)
		return -EINVAL;
	if (n_len > LV_RSA_MODULUS_MAX || e_len > 4)
		return -EINVAL;
	memcpy(key->modulus, n, n_len);
	key->modulus_len = n_len;
	key->exponent = 0;
	for (size_t i = 0; i < e_len; i++)
		key->exponent = key->exponent << 8 | e[i];
	return 0;
}

/* SEQUENCE { SEQUENCE { OID rsaEncryption, NULL }, BIT STRING { RSAPublicKey } } */
static int der_spki(const uint8_t *der, size_t len, struct lv_rsa_pubkey *key)
{
	struct der in = { der, len }, spki, alg, oid, null, bits;

	if (der_take(&in, DER_SEQUENCE, &spki) < 0 || in.len != 0)
		return -EINVAL;
	if (der_take(&spki, DER_SEQUENCE, &alg) < 0 || der_take(&alg, DER_OID, &oid) < 0)
		return -EINVAL;
	if (oid.len != sizeof(oid_rsa_encryption) ||
	    memcmp(oid.p, oid_rsa_encryption, oid.len) != 0)
		return -ENOTSUP;
	if (der_take(&alg, DER_NULL, &null) < 0 || null.len != 0 || alg.len != 0)
		return -EINVAL;
	if (der_take(&spki, DER_BIT_STRING, &bits) < 0 || spki.len != 0)
		return -EINVAL;
	if (bits.len < 1 || bits.p[0] != 0) /* unused bits */
		return -EINVAL;
	bits.p++;
	bits.len--;
	return der_rsa_public_key(bits, key);
}

static const char *line_after(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

/* The base64 body between the BEGIN line and the END line, whitespace
 * dropped, into out (NUL-terminated). */
static int pem_body(const char *pem, size_t pem_len, char *out, size_t out_max)
{
	const char *end = pem + pem_len, *p = NULL, *line;
	size_t n = 0;

	for (line = pem; line < end; line = line_after(line, end)) {
		if ((size_t)(end - line) >= strlen(PEM_BEGIN) &&
		    memcmp(line, PEM_BEGIN, strlen(PEM_BEGIN)) == 0) {
			p = line;
			break;
		}
	}
	if (!p)
		return -ENOENT;
	if ((size_t)(end - p) < strlen(PEM_BEGIN PEM_TYPE PEM_DASHES) ||
	    memcmp(p, PEM_BEGIN PEM_TYPE PEM_DASHES, strlen(PEM_BEGIN PEM_TYPE PEM_DASHES)) != 0)
		return -ENOTSUP;
	for (line = line_after(p, end); line < end; line = line_after(line, end)) {
		if ((size_t)(end - line) >= strlen(PEM_END) &&
		    memcmp(line, PEM_END, strlen(PEM_END)) == 0) {
			out[n] = '\0';
			return 0;
		}
		for (const char *c = line; c < end && *c != '\n'; c++) {
			if (*c == ' ' || *c == '\t' || *c == '\r')
				continue;
			if (n + 1 >= out_max || *c == '\0' || *c == ':')
				return -EINVAL; /* too long, or PEM headers (encryption) */
			out[n++] = *c;
		}
	}
	return -EINVAL;
}

int lv_rsa_pubkey_from_pem(const char *pem, size_t pem_len, struct lv_rsa_pubkey *key,
			   const char *what, struct lv_err *err)
{
	char *text = malloc(DER_MAX / 3 * 4 + 8);
	uint8_t *der = malloc(DER_MAX);
	size_t der_len = 0;
	int r = text && der ? 0 : -ENOMEM;

	memset(key, 0, sizeof(*key));
	if (r == 0) {
		r = pem_body(pem, pem_len, text, DER_MAX / 3 * 4 + 8);
		if (r == -ENOENT)
			r = lv_err_set(err, -EINVAL,
				       "%s: no PEM block (-----BEGIN PUBLIC KEY-----)", what);
		else if (r == -ENOTSUP)
			r = lv_err_set(err, -EINVAL, "%s: the first PEM block is not a PUBLIC KEY",
				       what);
		else if (r < 0)
			r = lv_err_set(err, r, "%s: PEM body malformed or not terminated by %s",
				       what, PEM_END);
	}
	if (r == 0 && lv_base64_decode(text, der, DER_MAX, &der_len) < 0)
		r = lv_err_set(err, -EINVAL, "%s: PEM body is not base64", what);
	if (r == 0) {
		r = der_spki(der, der_len, key);
		if (r == -ENOTSUP)
			r = lv_err_set(err, -EINVAL, "%s: not an RSA public key", what);
		else if (r < 0)
			r = lv_err_set(err, r, "%s: not a DER SubjectPublicKeyInfo with an RSA key",
				       what);
		else if (key->modulus_len == 0 || key->exponent == 0)
			r = lv_err_set(err, -EINVAL, "%s: RSA modulus or exponent is zero", what);
	}
	free(text);
	free(der);
	return r;
}

/* Appends a DER length to out at *at. */
static void der_put_length(uint8_t *out, size_t *at, size_t len)
{
	if (len < 0x80) {
		out[(*at)++] = (uint8_t)len;
	} else if (len <= 0xff) {
		out[(*at)++] = 0x81;
		out[(*at)++] = (uint8_t)len;
	} else {
		out[(*at)++] = 0x82;
		out[(*at)++] = (uint8_t)(len >> 8);
		out[(*at)++] = (uint8_t)len;
	}
}

/* INTEGER of big-endian bytes with no leading zero (a sign byte added). */
static void der_put_unsigned(uint8_t *out, size_t *at, const uint8_t *be, size_t len)
{
	int sign = len == 0 || be[0] & 0x80;

	out[(*at)++] = DER_INTEGER;
	der_put_length(out, at, len + (size_t)sign);
	if (sign)
		out[(*at)++] = 0;
	memcpy(out + *at, be, len);
	*at += len;
}

int lv_rsa_pubkey_fingerprint(const struct lv_rsa_pubkey *key, uint8_t fingerprint[32])
{
	uint8_t body[LV_RSA_MODULUS_MAX + 32], out[LV_RSA_MODULUS_MAX + 40], e[4];
	size_t body_len = 0, out_len = 0, e_len = 0;
	const void *parts[1] = { out };
	size_t lens[1];

	for (int shift = 24; shift >= 0; shift -= 8)
		if (e_len || key->exponent >> shift & 0xff)
			e[e_len++] = (uint8_t)(key->exponent >> shift);
	der_put_unsigned(body, &body_len, key->modulus, key->modulus_len);
	der_put_unsigned(body, &body_len, e, e_len);
	out[out_len++] = DER_SEQUENCE;
	der_put_length(out, &out_len, body_len);
	memcpy(out + out_len, body, body_len);
	out_len += body_len;
	lens[0] = out_len;
	return lv_hash("sha256", parts, lens, 1, fingerprint, 32);
}
