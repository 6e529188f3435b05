/* SPDX-License-Identifier: ISC */
/*
 * kms_wire.c: everything the KMS client parses from the network or a
 * header (src/kms/wire.c, token.c, endpoint.c), over arbitrary bytes.  The
 * first byte picks the parser, the rest is its input:
 *   0  a gRPC reply as libcurl hands it: header and trailer lines up to
 *      the first NUL (split after each '\n', fed one by one to
 *      lv_grpc_reply_line), then the body; lv_grpc_reply_check judges it
 *   1  a protobuf Response (lv_kms_response_decode)
 *   2  a LUKS2 token's JSON text (lv_kms_token_decode)
 *   3  an endpoint (lv_kms_endpoint_parse)
 * Invariants (abort on violation):
 *   - a refusal always says why;
 *   - Response.data lies inside the bytes given;
 *   - a decoded token encodes back to Talos's exact shape, which decodes
 *     to the same sealed bytes;
 *   - a parsed endpoint has a host of host characters and a port 1..65535.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "kms/kms.h"

static void check_refusal(int r, const struct lv_err *err, const char *what)
{
	if (r < 0 && !err->msg[0])
		fz_fail("%s refused (%d) without a message", what, r);
}

static void check_inside(const uint8_t *data, size_t data_len, const uint8_t *buf, size_t len)
{
	if (data_len && (data < buf || data_len > len || data - buf > (ptrdiff_t)(len - data_len)))
		fz_fail("Response.data (%zu bytes) outside the %zu bytes given", data_len, len);
}

static void reply(const uint8_t *in, size_t len)
{
	const uint8_t *nul = memchr(in, 0, len), *data;
	size_t head_len = nul ? (size_t)(nul - in) : len, body_len, data_len;
	const uint8_t *body = nul ? nul + 1 : in + len;
	struct lv_grpc_reply r;
	struct lv_err err = { 0 };
	int rc;

	body_len = len - head_len - (nul ? 1 : 0);
	lv_grpc_reply_init(&r);
	for (size_t start = 0; start < head_len;) {
		const uint8_t *nl = memchr(in + start, '\n', head_len - start);
		size_t line_len = nl ? (size_t)(nl - (in + start)) + 1 : head_len - start;

		lv_grpc_reply_line(&r, (const char *)in + start, line_len);
		start += line_len;
	}
	rc = lv_grpc_reply_check(&r, body, body_len, &data, &data_len, &err);
	check_refusal(rc, &err, "reply");
	if (rc == 0)
		check_inside(data, data_len, body, body_len);
	if (rc < 0 && rc != -EPROTO && rc != -EREMOTEIO)
		fz_fail("reply refused with %d", rc);
}

static void response(const uint8_t *in, size_t len)
{
	struct lv_err err = { 0 };
	const uint8_t *data;
	size_t data_len;
	int rc = lv_kms_response_decode(in, len, &data, &data_len, &err);

	check_refusal(rc, &err, "Response");
	if (rc == 0)
		check_inside(data, data_len, in, len);
}

static void token(const uint8_t *in, size_t len)
{
	char *text = malloc(len + 1), *again;
	struct lv_err err = { 0 };
	uint8_t *sealed = NULL, *sealed2 = NULL;
	size_t sealed_len = 0, sealed2_len = 0;
	int rc;

	if (!text)
		abort();
	memcpy(text, in, len);
	text[len] = '\0';
	rc = lv_kms_token_decode(text, &sealed, &sealed_len, &err);
	check_refusal(rc, &err, "token");
	if (rc < 0 && sealed)
		fz_fail("a refused token left sealed bytes");
	if (rc == 0) {
		again = lv_kms_token_encode(sealed, sealed_len);
		if (!again)
			fz_fail("decoded sealed data (%zu bytes) does not encode", sealed_len);
		if (lv_kms_token_decode(again, &sealed2, &sealed2_len, &err) != 0 ||
		    sealed2_len != sealed_len || memcmp(sealed, sealed2, sealed_len) != 0)
			fz_fail("the re-encoded token does not decode to the same bytes: %s", again);
		free(again);
	}
	free(sealed);
	free(sealed2);
	free(text);
}

static void endpoint(const uint8_t *in, size_t len)
{
	char *text = malloc(len + 1);
	struct lv_kms_endpoint ep;
	struct lv_err err = { 0 };
	int rc;

	if (!text)
		abort();
	memcpy(text, in, len);
	text[len] = '\0';
	rc = lv_kms_endpoint_parse(text, &ep, &err);
	check_refusal(rc, &err, "endpoint");
	if (rc == 0 && (!ep.host[0] || ep.port == 0 || ep.port > 65535 ||
			strcspn(ep.host, "/?#@ %\\") != strlen(ep.host)))
		fz_fail("endpoint \"%s\" parsed to host \"%s\" port %u", text, ep.host, ep.port);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0:
		reply(data + 1, size - 1);
		break;
	case 1:
		response(data + 1, size - 1);
		break;
	case 2:
		token(data + 1, size - 1);
		break;
	default:
		endpoint(data + 1, size - 1);
		break;
	}
	return 0;
}
