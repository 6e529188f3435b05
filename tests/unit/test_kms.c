/* SPDX-License-Identifier: ISC */
/* test_kms.c: the KMS engine's parsers and encoders (src/kms), no network. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>

#include "kms/kms.h"

/* ---- endpoints: Talos's endpoint_test.go cases, and grpc-go's port rules */

struct endpoint_case {
	const char *text;
	int ok, tls;
	const char *host;
	unsigned port;
};

static const struct endpoint_case endpoint_cases[] = {
	{ "grpc://10.5.0.2:3445?jointoken=ttt", 1, 0, "10.5.0.2", 3445 },
	{ "https://10.5.0.2:3445?jointoken=ttt&jointoken=xxx", 1, 1, "10.5.0.2", 3445 },
	{ "https://10.5.0.2?jointoken=ttt", 1, 1, "10.5.0.2", 443 },
	{ "10.5.0.2:3445?jointoken=ttt", 1, 0, "10.5.0.2", 3445 },
	{ "10.5.0.2:3445", 1, 0, "10.5.0.2", 3445 },
	{ "kms.example", 1, 0, "kms.example", 443 },
	{ "GRPC://kms:4050", 1, 0, "kms", 4050 },
	{ "Https://kms", 1, 1, "kms", 443 },
	{ "http://kms:80", 1, 1, "kms", 80 },		/* not grpc: TLS */
	{ "grpcs://kms:1", 1, 1, "kms", 1 },
	{ "grpc://[::1]:4050/x", 1, 0, "[::1]", 4050 },
	{ "https://[fe80::1]", 1, 1, "[fe80::1]", 443 },
	{ "grpc://user:pw@kms:7", 1, 0, "kms", 7 },
	{ "grpc://:4050", 1, 0, "localhost", 4050 },
	{ "kms:4050/a://b", 0, 0, NULL, 0 },		/* Talos: scheme "kms", no host */
	{ "_x://kms:1", 0, 0, NULL, 0 },		/* matches [a-zA-z]+://, not a scheme */
	{ "", 0, 0, NULL, 0 },
	{ "grpc://", 0, 0, NULL, 0 },
	{ "grpc://kms:", 0, 0, NULL, 0 },
	{ "grpc://kms:0", 0, 0, NULL, 0 },
	{ "grpc://kms:65536", 0, 0, NULL, 0 },
	{ "grpc://kms:4x", 0, 0, NULL, 0 },
	{ "grpc://a:b:1", 0, 0, NULL, 0 },
	{ "grpc://[::1", 0, 0, NULL, 0 },
	{ "grpc://[::1]x", 0, 0, NULL, 0 },
	{ "grpc://[zz]:1", 0, 0, NULL, 0 },
	{ "kms\n:1", 0, 0, NULL, 0 },
	{ "k%6ds:1", 0, 0, NULL, 0 },
};

static void endpoint_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(endpoint_cases) / sizeof(endpoint_cases[0]); i++) {
		const struct endpoint_case *c = &endpoint_cases[i];
		struct lv_kms_endpoint ep;
		struct lv_err err = { 0 };
		int r = lv_kms_endpoint_parse(c->text, &ep, &err);

		if (!c->ok) {
			if (r != -EINVAL)
				fail_msg("\"%s\" parsed (%d)", c->text, r);
			assert_true(strncmp(err.msg, "bad endpoint: ", 14) == 0);
			continue;
		}
		if (r != 0)
			fail_msg("\"%s\": %s", c->text, err.msg);
		assert_int_equal(ep.tls, c->tls);
		assert_string_equal(ep.host, c->host);
		assert_int_equal(ep.port, c->port);
	}
}

/* ---- protobuf and gRPC framing --------------------------------------------- */

static void request_frame_bytes(void **state)
{
	struct lv_secret *frame = NULL;
	struct lv_err err = { 0 };
	uint8_t data[3] = { 1, 2, 3 };

	(void)state;
	assert_int_equal(lv_grpc_request_frame("ab", data, sizeof(data), &frame, &err), 0);
	unit_assert_hex(frame->bytes, frame->len, "00000000090a026162120301020" "3");
	lv_secret_free(&frame);
	/* proto3 leaves empty fields out */
	assert_int_equal(lv_grpc_request_frame("", NULL, 0, &frame, &err), 0);
	unit_assert_hex(frame->bytes, frame->len, "0000000000");
	lv_secret_free(&frame);
	assert_int_equal(lv_grpc_request_frame("\xc0\xaf", data, 1, &frame, &err), -EINVAL);
	assert_int_equal(lv_grpc_request_frame("\xed\xa0\x80", data, 1, &frame, &err), -EINVAL);
	assert_int_equal(lv_grpc_request_frame("\xe2\x82", data, 1, &frame, &err), -EINVAL);
	assert_int_equal(lv_grpc_request_frame("h\xc3\xa9\xf0\x9f\x98\x80", data, 1, &frame, &err), 0);
	lv_secret_free(&frame);
	assert_null(frame);
}

struct response_case {
	const char *hex;
	int r;
	const char *data_hex;
};

static const struct response_case response_cases[] = {
	{ "", 0, "" },
	{ "0a03010203", 0, "010203" },
	{ "0a0101" "0a020202", 0, "0202" },		/* the last one wins */
	{ "0a00", 0, "" },
	{ "0a810001", 0, "01" },			/* a non-minimal length varint */
	{ "0a04010203", -EPROTO, NULL },		/* length past the end */
	{ "0a", -EPROTO, NULL },			/* no length */
	{ "0a80", -EPROTO, NULL },			/* truncated varint */
	{ "0801", -EPROTO, NULL },			/* field 1 as a varint */
	{ "1201ff", -EPROTO, NULL },			/* field 2: unknown */
	{ "0d01020304", -EPROTO, NULL },		/* fixed32 */
	{ "0b", -EPROTO, NULL },			/* start group */
	{ "02", -EPROTO, NULL },			/* field 0 */
	{ "0affffffffffffffffff01", -EPROTO, NULL },	/* 2^64 - 1 bytes */
	{ "0affffffffffffffffff02", -EPROTO, NULL },	/* more than 64 bits */
	{ "8a8080808080808080800100", -EPROTO, NULL },	/* 11-byte key */
};

static void response_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(response_cases) / sizeof(response_cases[0]); i++) {
		const struct response_case *c = &response_cases[i];
		uint8_t msg[64];
		size_t len, data_len;
		const uint8_t *data;
		struct lv_err err = { 0 };
		int r;

		len = unit_hex(c->hex, msg, sizeof(msg));
		r = lv_kms_response_decode(msg, len, &data, &data_len, &err);
		if (r != c->r)
			fail_msg("case %zu (%s): %d, want %d (%s)", i, c->hex, r, c->r, err.msg);
		if (r == 0)
			unit_assert_hex(data, data_len, c->data_hex);
		else
			assert_true(strncmp(err.msg, "Response: ", 10) == 0);
	}
}

/* ---- replies: header and trailer lines, then the body ---------------------- */

static int reply_verdict(const char *const *lines, const char *body_hex, const char *want_msg,
			 char *data_hex_out)
{
	struct lv_grpc_reply reply;
	struct lv_err err = { 0 };
	uint8_t body[256];
	size_t body_len = unit_hex(body_hex, body, sizeof(body)), data_len;
	const uint8_t *data;
	int r;

	lv_grpc_reply_init(&reply);
	for (size_t i = 0; lines[i]; i++)
		lv_grpc_reply_line(&reply, lines[i], strlen(lines[i]));
	r = lv_grpc_reply_check(&reply, body, body_len, &data, &data_len, &err);
	if (want_msg && !strstr(err.msg, want_msg))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want_msg);
	if (r == 0 && data_hex_out)
		for (size_t i = 0; i < data_len; i++)
			sprintf(data_hex_out + 2 * i, "%02x", data[i]);
	return r;
}

static void reply_lines(void **state)
{
	const char *ok[] = { "HTTP/2 200 \r\n", "content-type: application/grpc\r\n",
			     "grpc-accept-encoding: identity\r\n", "\r\n", "grpc-status: 0\r\n",
			     NULL };
	const char *error[] = { "HTTP/2 200 \r\n", "content-type: application/grpc\r\n",
				"grpc-status: 3\r\n", "grpc-message: bad%20length%0a%zz\r\n",
				"\r\n", NULL };
	const char *twice[] = { "HTTP/2 200\r\n", "content-type: application/grpc\r\n",
				"grpc-status: 0\r\n", "\r\n", "grpc-status: 0\r\n", NULL };
	const char *http1[] = { "HTTP/1.1 200 OK\r\n", "content-type: application/grpc\r\n",
				"\r\n", "grpc-status: 0\r\n", NULL };
	const char *not_grpc[] = { "HTTP/2 200\r\n", "content-type: application/grpcx\r\n",
				   "\r\n", "grpc-status: 0\r\n", NULL };
	const char *plus[] = { "HTTP/2 200\r\n", "content-type: application/grpc+proto\r\n",
			       "\r\n", "grpc-status: 0\r\n", NULL };
	const char *status_sign[] = { "HTTP/2 200\r\n", "content-type: application/grpc\r\n",
				      "\r\n", "grpc-status: -1\r\n", NULL };
	const char *no_colon[] = { "HTTP/2 200\r\n", "content-type application/grpc\r\n", NULL };
	const char *http_404[] = { "HTTP/2 404\r\n", "content-type: text/plain\r\n", "\r\n", NULL };
	const char *early[] = { "grpc-status: 0\r\n", NULL };
	const char *continue_then_ok[] = { "HTTP/2 100\r\n", "\r\n", "HTTP/2 200\r\n",
					   "content-type: application/grpc\r\n", "\r\n",
					   "grpc-status: 0\r\n", NULL };
	char data_hex[512] = "";

	(void)state;
	assert_int_equal(reply_verdict(ok, "00000000050a03616263", NULL, data_hex), 0);
	assert_string_equal(data_hex, "616263");
	assert_int_equal(reply_verdict(continue_then_ok, "0000000000", NULL, NULL), 0);
	assert_int_equal(reply_verdict(plus, "0000000000", NULL, NULL), 0);
	assert_int_equal(reply_verdict(error, "", "gRPC status 3 INVALID_ARGUMENT: bad length?%zz",
				       NULL), -EREMOTEIO);
	assert_int_equal(reply_verdict(twice, "0000000000", "grpc-status given twice", NULL), -EPROTO);
	assert_int_equal(reply_verdict(http1, "0000000000", "not HTTP/2", NULL), -EPROTO);
	assert_int_equal(reply_verdict(not_grpc, "0000000000", "is not application/grpc", NULL),
			 -EPROTO);
	assert_int_equal(reply_verdict(status_sign, "0000000000", "bad grpc-status", NULL), -EPROTO);
	assert_int_equal(reply_verdict(no_colon, "", "malformed header line", NULL), -EPROTO);
	assert_int_equal(reply_verdict(http_404, "", "HTTP status 404", NULL), -EPROTO);
	assert_int_equal(reply_verdict(early, "", "before the status line", NULL), -EPROTO);
	/* framing */
	assert_int_equal(reply_verdict(ok, "", "no gRPC message", NULL), -EPROTO);
	assert_int_equal(reply_verdict(ok, "00000000", "no gRPC message", NULL), -EPROTO);
	assert_int_equal(reply_verdict(ok, "0100000000", "compressed", NULL), -EPROTO);
	assert_int_equal(reply_verdict(ok, "0200000000", "flag 0x02", NULL), -EPROTO);
	assert_int_equal(reply_verdict(ok, "00000000050a03", "5 bytes announced, 2 sent", NULL),
			 -EPROTO);
	assert_int_equal(reply_verdict(ok, "00000000000000000000", "5 bytes after", NULL), -EPROTO);
	assert_int_equal(reply_verdict(ok, "00ffffffff0a00", "4294967295 bytes announced", NULL),
			 -EPROTO);
	assert_int_equal(reply_verdict(ok, "00000000020800", "wire type 0", NULL), -EPROTO);
}

static void reply_too_many_lines(void **state)
{
	struct lv_grpc_reply reply;
	struct lv_err err = { 0 };
	const uint8_t *data;
	size_t data_len;

	(void)state;
	lv_grpc_reply_init(&reply);
	lv_grpc_reply_line(&reply, "HTTP/2 200\r\n", 12);
	for (int i = 0; i < 100; i++)
		lv_grpc_reply_line(&reply, "x-a: b\r\n", 8);
	assert_int_equal(lv_grpc_reply_check(&reply, NULL, 0, &data, &data_len, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "too many header lines"));
}

/* ---- the sideroKMS token --------------------------------------------------- */

static void token_encode_exact(void **state)
{
	uint8_t sealed[60];
	char *json;

	(void)state;
	for (int i = 0; i < 60; i++)
		sealed[i] = (uint8_t)(0xf8 + i);	/* base64 with '+' and '/' */
	json = lv_kms_token_encode(sealed, sizeof(sealed));
	assert_non_null(json);
	/* what Go's encoding/json makes of go-blockdevice's Token[KMSToken] */
	assert_string_equal(json, "{\"UserData\":{\"sealedData\":\"+Pn6+/z9/v8AAQIDBAUGBwgJCgsMDQ4PEBESExQV"
			    "FhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIz\"},\"type\":\"sideroKMS\","
			    "\"keyslots\":[]}");
	free(json);
	assert_null(lv_kms_token_encode(sealed, 0));
	assert_null(lv_kms_token_encode(sealed, LV_KMS_SEALED_MAX + 1));
}

static int decode(const char *json, size_t *len, const char *want_msg)
{
	struct lv_err err = { 0 };
	uint8_t *sealed = NULL;
	int r = lv_kms_token_decode(json, &sealed, len, &err);

	if (want_msg && !strstr(err.msg, want_msg))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", json ? json : "(null)", err.msg,
			 want_msg);
	if (r < 0)
		assert_null(sealed);
	free(sealed);
	return r;
}

static void token_decode(void **state)
{
	size_t len = 0;

	(void)state;
	assert_int_equal(decode("{\"UserData\":{\"sealedData\":\"AQID\"},\"type\":\"sideroKMS\","
				"\"keyslots\":[]}", &len, NULL), 0);
	assert_int_equal(len, 3);
	/* cryptsetup's export spacing */
	assert_int_equal(decode("{ \"type\": \"sideroKMS\", \"keyslots\": [ ], \"UserData\": "
				"{ \"sealedData\": \"AQ==\" } }\n", &len, NULL), 0);
	assert_int_equal(len, 1);
	assert_int_equal(decode(NULL, &len, "no token"), LV_KMS_TOKEN_INVALID);
	assert_int_equal(decode("{\"type\":\"talos-tpm2\",\"keyslots\":[]}", &len, "talos-tpm2"),
			 LV_KMS_TOKEN_INVALID);
	assert_int_equal(decode("{\"type\":\"sideroKMS\\u0001\",\"keyslots\":[]}", &len,
				"\"sideroKMS?\""), LV_KMS_TOKEN_INVALID);
	assert_int_equal(decode("{\"keyslots\":[]}", &len, "no type"), -EINVAL);
	assert_int_equal(decode("{\"type\":1}", &len, "no type"), -EINVAL);
	assert_int_equal(decode("[]", &len, "not a JSON object"), -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\"} x", &len, "not a JSON object"), -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\"", &len, "not a JSON object"), -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\"}", &len, "no UserData"), -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\",\"UserData\":[]}", &len, "not an object"),
			 -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\",\"UserData\":{}}", &len, "not a string"),
			 -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\",\"UserData\":{\"sealedData\":null}}", &len,
				"not a string"), -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\",\"UserData\":{\"SealedData\":\"AQ==\"}}",
				&len, "unknown field UserData.SealedData"), -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\",\"UserData\":{\"sealedData\":\"\"}}", &len,
				"not base64"), -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\",\"UserData\":{\"sealedData\":\"AQI\"}}", &len,
				"not base64"), -EINVAL);
	assert_int_equal(decode("{\"type\":\"sideroKMS\",\"UserData\":{\"sealedData\":\"A=QI\"}}",
				&len, "not base64"), -EINVAL);
}

static void token_decode_size_limit(void **state)
{
	size_t b64 = (LV_KMS_SEALED_MAX + 1 + 2) / 3 * 4, len;
	const char *head = "{\"type\":\"sideroKMS\",\"UserData\":{\"sealedData\":\"", *tail = "\"}}";
	char *json = malloc(strlen(head) + b64 + strlen(tail) + 1);

	(void)state;
	assert_non_null(json);
	strcpy(json, head);
	memset(json + strlen(head), 'A', b64);
	strcpy(json + strlen(head) + b64, tail);
	assert_int_equal(decode(json, &len, "not base64 of 1 to 4096 bytes"), -EINVAL);
	free(json);
}

static void passphrase_base64(void **state)
{
	struct lv_secret *key = lv_secret_new(LV_KMS_KEY_BYTES), *pass = NULL;

	(void)state;
	assert_non_null(key);
	for (int i = 0; i < LV_KMS_KEY_BYTES; i++)
		key->bytes[i] = (uint8_t)(i * 7 + 250);
	assert_int_equal(lv_kms_passphrase(key, &pass), 0);
	assert_int_equal(pass->len, LV_KMS_PASSPHRASE_LEN);
	/* printf '%s' "$hex" | xxd -r -p | base64 */
	assert_memory_equal(pass->bytes, "+gEIDxYdJCsyOUBHTlVcY2pxeH+GjZSboqmwt77FzNM=", 44);
	lv_secret_free(&pass);
	lv_secret_free(&key);
}

static void printable(void **state)
{
	char out[8];

	(void)state;
	lv_kms_printable(out, sizeof(out), "ab\x01\"c", 5);
	assert_string_equal(out, "ab??c");
	lv_kms_printable(out, sizeof(out), "abcdefghij", 10);
	assert_string_equal(out, "abcd...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(endpoint_parse),
		cmocka_unit_test(request_frame_bytes),
		cmocka_unit_test(response_decode),
		cmocka_unit_test(reply_lines),
		cmocka_unit_test(reply_too_many_lines),
		cmocka_unit_test(token_encode_exact),
		cmocka_unit_test(token_decode),
		cmocka_unit_test(token_decode_size_limit),
		cmocka_unit_test(passphrase_base64),
		cmocka_unit_test(printable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
