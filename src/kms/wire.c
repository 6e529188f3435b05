/* SPDX-License-Identifier: ISC */
/*
 * wire.c: the bytes of a KMS call, built and checked without any I/O:
 * the protobuf messages of kms.proto (§7), the gRPC length prefix, and the
 * header and trailer lines libcurl hands over.  Everything the server sends
 * passes through here; fuzz/kms_wire.c drives it directly.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/ascii.h"
#include "base/hex.h"
#include "base/utf8.h"
#include "kms/kms.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };
enum { REQUEST_NODE_UUID = 1, REQUEST_DATA = 2, RESPONSE_DATA = 1 };
#define VARINT_MAX_BYTES 10

void lv_kms_printable(char *out, size_t out_size, const char *text, size_t len)
{
	size_t n = 0;

	if (out_size == 0)
		return;
	for (size_t i = 0; i < len && n + 1 < out_size; i++) {
		unsigned char c = (unsigned char)text[i];

		out[n++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
	}
	out[n] = '\0';
	if (n < len && out_size > 4)
		memcpy(out + out_size - 4, "...", 4);
}

/* ---- protobuf --------------------------------------------------------------- */

static size_t varint_put(uint8_t *out, uint64_t value)
{
	size_t n = 0;

	while (value >= 0x80) {
		out[n++] = (uint8_t)(value | 0x80);
		value >>= 7;
	}
	out[n++] = (uint8_t)value;
	return n;
}

/* Reads a varint at msg[*pos]; -1 when truncated or longer than 64 bits. */
static int varint_get(const uint8_t *msg, size_t len, size_t *pos, uint64_t *value)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < VARINT_MAX_BYTES; i++) {
		uint8_t b;

		if (*pos >= len)
			return -1;
		b = msg[(*pos)++];
		if (i == VARINT_MAX_BYTES - 1 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*value = v;
			return 0;
		}
	}
	return -1;
}

static size_t field_put(uint8_t *out, unsigned field, const void *bytes, size_t len)
{
	size_t n;

	if (len == 0)
		return 0;	/* proto3 leaves empty fields out */
	n = varint_put(out, (uint64_t)field << 3 | WIRE_LEN);
	n += varint_put(out + n, len);
	memcpy(out + n, bytes, len);
	return n + len;
}

int lv_grpc_request_frame(const char *node_uuid, const uint8_t *data, size_t data_len,
			  struct lv_secret **frame, struct lv_err *err)
{
	size_t uuid_len = strlen(node_uuid), max, n;
	struct lv_secret *out;

	*frame = NULL;
	if (uuid_len > LV_KMS_NODE_UUID_MAX)
		return lv_err_set(err, -EINVAL, "node UUID longer than %d bytes",
				  LV_KMS_NODE_UUID_MAX);
	/* proto3 strings must be well-formed UTF-8: Go refuses to marshal
	 * anything else. */
	if (!lv_utf8_valid((const uint8_t *)node_uuid, uuid_len))
		return lv_err_set(err, -EINVAL, "node UUID is not valid UTF-8");
	if (data_len > LV_KMS_SEALED_MAX)
		return lv_err_set(err, -EINVAL, "request data longer than %d bytes",
				  LV_KMS_SEALED_MAX);
	/* two keys, two length varints (at most 2 bytes each at these sizes) */
	max = LV_GRPC_HEADER_BYTES + 2 * 3 + uuid_len + data_len;
	out = lv_secret_new(max);
	if (!out)
		return lv_err_set(err, -ENOMEM, "out of memory");
	n = LV_GRPC_HEADER_BYTES;
	n += field_put(out->bytes + n, REQUEST_NODE_UUID, node_uuid, uuid_len);
	n += field_put(out->bytes + n, REQUEST_DATA, data, data_len);
	out->bytes[0] = 0;	/* not compressed */
	for (int i = 0; i < 4; i++)
		out->bytes[1 + i] = (uint8_t)((n - LV_GRPC_HEADER_BYTES) >> (24 - 8 * i));
	out->len = n;
	*frame = out;
	return 0;
}

int lv_kms_response_decode(const uint8_t *msg, size_t len, const uint8_t **data,
			   size_t *data_len, struct lv_err *err)
{
	size_t pos = 0;

	*data = msg;
	*data_len = 0;
	while (pos < len) {
		uint64_t key, field_len;

		if (varint_get(msg, len, &pos, &key) < 0)
			return lv_err_set(err, -EPROTO, "Response: truncated or overlong field key");
		if (key >> 3 != RESPONSE_DATA)
			return lv_err_set(err, -EPROTO, "Response: unknown field %llu",
					  (unsigned long long)(key >> 3));
		if ((key & 7) != WIRE_LEN)
			return lv_err_set(err, -EPROTO,
					  "Response: field data has wire type %u, not 2 (bytes)",
					  (unsigned)(key & 7));
		if (varint_get(msg, len, &pos, &field_len) < 0)
			return lv_err_set(err, -EPROTO, "Response: truncated or overlong length");
		if (field_len > len - pos)
			return lv_err_set(err, -EPROTO,
					  "Response: data says %llu bytes, %zu follow",
					  (unsigned long long)field_len, len - pos);
		*data = msg + pos;	/* a repeated field replaces the earlier one */
		*data_len = (size_t)field_len;
		pos += (size_t)field_len;
	}
	return 0;
}

/* ---- header and trailer lines ------------------------------------------------ */

static const char *const grpc_code_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
};

void lv_grpc_reply_init(struct lv_grpc_reply *reply)
{
	memset(reply, 0, sizeof(*reply));
	reply->grpc_status = -1;
}

static void reply_bad(struct lv_grpc_reply *reply, const char *what, const char *line, size_t len)
{
	char shown[48];

	if (reply->bad[0])
		return;
	lv_kms_printable(shown, sizeof(shown), line, len);
	snprintf(reply->bad, sizeof(reply->bad), "%s: \"%s\"", what, shown);
}

static int is_digit3(const char *p)
{
	for (int i = 0; i < 3; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* "HTTP/<version> <3 digits>[ reason]" */
static void status_line(struct lv_grpc_reply *reply, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	size_t rest;

	if (reply->http_status >= 200) {
		reply_bad(reply, "a second status line", line, len);
		return;
	}
	/* (lines are not NUL-terminated: every byte read is inside len) */
	if (!sp || (rest = len - (size_t)(sp + 1 - line)) < 3 || !is_digit3(sp + 1) ||
	    (rest > 3 && sp[4] != ' ')) {
		reply_bad(reply, "bad status line", line, len);
		return;
	}
	reply->http_version = (sp - line == 6 && memcmp(line, "HTTP/2", 6) == 0) ? 2 : 1;
	reply->http_status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
	reply->in_trailers = 0;
}

static int name_is(const char *name, size_t name_len, const char *want)
{
	return strlen(want) == name_len && lv_ascii_ncaseeq(name, want, name_len);
}

/* grpc-status: a decimal int, no sign, no spaces. */
static void grpc_status(struct lv_grpc_reply *reply, const char *value, size_t len,
			const char *line, size_t line_len)
{
	long long v = 0;

	if (reply->grpc_status >= 0) {
		reply_bad(reply, "grpc-status given twice", line, line_len);
		return;
	}
	if (len == 0 || len > 10) {
		reply_bad(reply, "bad grpc-status", line, line_len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (value[i] < '0' || value[i] > '9') {
			reply_bad(reply, "bad grpc-status", line, line_len);
			return;
		}
		v = v * 10 + (value[i] - '0');
	}
	if (v > INT_MAX) {
		reply_bad(reply, "bad grpc-status", line, line_len);
		return;
	}
	reply->grpc_status = (int)v;
	reply->grpc_status_in_trailers = reply->in_trailers;
}

/* grpc-message is percent-encoded (gRPC over HTTP/2, "Responses"). */
static void grpc_message(struct lv_grpc_reply *reply, const char *value, size_t len)
{
	char decoded[LV_GRPC_MESSAGE_TEXT_MAX];
	size_t n = 0;

	if (reply->grpc_message[0])
		return;
	for (size_t i = 0; i < len && n < sizeof(decoded); i++) {
		int hi, lo;

		if (value[i] == '%' && i + 2 < len &&
		    (hi = lv_hex_value((unsigned char)value[i + 1])) >= 0 &&
		    (lo = lv_hex_value((unsigned char)value[i + 2])) >= 0) {
			decoded[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			decoded[n++] = value[i];
		}
	}
	lv_kms_printable(reply->grpc_message, sizeof(reply->grpc_message), decoded, n);
}

static void content_type(struct lv_grpc_reply *reply, const char *value, size_t len,
			 const char *line, size_t line_len)
{
	static const char grpc[] = "application/grpc";
	size_t glen = sizeof(grpc) - 1;

	if (reply->content_type_seen || reply->in_trailers) {
		reply_bad(reply, "content-type out of place", line, line_len);
		return;
	}
	reply->content_type_seen = 1;
	lv_kms_printable(reply->content_type, sizeof(reply->content_type), value, len);
	reply->content_type_grpc = len >= glen && lv_ascii_ncaseeq(value, grpc, glen) &&
				   (len == glen || value[glen] == '+' || value[glen] == ';');
}

static void header_field(struct lv_grpc_reply *reply, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len), *value;
	size_t name_len, value_len;

	if (!colon || colon == line) {
		reply_bad(reply, "malformed header line", line, len);
		return;
	}
	name_len = (size_t)(colon - line);
	value = colon + 1;
	value_len = len - name_len - 1;
	while (value_len && (*value == ' ' || *value == '\t'))
		value++, value_len--;
	while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
		value_len--;
	if (name_is(line, name_len, "content-type"))
		content_type(reply, value, value_len, line, len);
	else if (name_is(line, name_len, "grpc-status"))
		grpc_status(reply, value, value_len, line, len);
	else if (name_is(line, name_len, "grpc-message"))
		grpc_message(reply, value, value_len);
}

void lv_grpc_reply_line(struct lv_grpc_reply *reply, const char *line, size_t len)
{
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (++reply->lines > LV_GRPC_HEADER_LINES_MAX) {
		reply_bad(reply, "too many header lines", line, len);
		return;
	}
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		status_line(reply, line, len);
	} else if (len == 0) {
		/* The end of a header block: trailers follow a final one. */
		if (reply->http_status >= 200)
			reply->in_trailers = 1;
	} else if (reply->http_status == 0) {
		reply_bad(reply, "a header before the status line", line, len);
	} else if (reply->http_status >= 200) {
		header_field(reply, line, len);
	}
}

static int frame_check(const uint8_t *body, size_t body_len, const uint8_t **msg,
		       size_t *msg_len, struct lv_err *err)
{
	uint32_t declared;

	if (body_len < LV_GRPC_HEADER_BYTES)
		return lv_err_set(err, -EPROTO, "no gRPC message in the reply (%zu bytes of body)",
				  body_len);
	if (body[0] == 1)
		return lv_err_set(err, -EPROTO, "compressed gRPC message (none was asked for)");
	if (body[0] != 0)
		return lv_err_set(err, -EPROTO, "bad gRPC message flag 0x%02x", body[0]);
	declared = (uint32_t)body[1] << 24 | (uint32_t)body[2] << 16 | (uint32_t)body[3] << 8 |
		   body[4];
	if (declared > body_len - LV_GRPC_HEADER_BYTES)
		return lv_err_set(err, -EPROTO, "truncated gRPC message: %u bytes announced, %zu sent",
				  declared, body_len - LV_GRPC_HEADER_BYTES);
	if (declared < body_len - LV_GRPC_HEADER_BYTES)
		return lv_err_set(err, -EPROTO, "%zu bytes after the gRPC message",
				  body_len - LV_GRPC_HEADER_BYTES - declared);
	*msg = body + LV_GRPC_HEADER_BYTES;
	*msg_len = declared;
	return 0;
}

int lv_grpc_reply_check(const struct lv_grpc_reply *reply, const uint8_t *body, size_t body_len,
			const uint8_t **data, size_t *data_len, struct lv_err *err)
{
	const uint8_t *msg = NULL;
	size_t msg_len = 0;
	int r;

	*data = NULL;
	*data_len = 0;
	if (reply->bad[0])
		return lv_err_set(err, -EPROTO, "%s", reply->bad);
	if (reply->http_status == 0)
		return lv_err_set(err, -EPROTO, "no HTTP status in the reply");
	if (reply->http_version != 2)
		return lv_err_set(err, -EPROTO, "the reply is not HTTP/2");
	if (reply->http_status != 200)
		return lv_err_set(err, -EPROTO, "HTTP status %d (not a gRPC server?)",
				  reply->http_status);
	if (!reply->content_type_grpc)
		return lv_err_set(err, -EPROTO, "content-type \"%s\" is not application/grpc",
				  reply->content_type);
	if (reply->grpc_status < 0)
		return lv_err_set(err, -EPROTO, "no grpc-status in the reply");
	if (reply->grpc_status != 0) {
		const char *name = reply->grpc_status < (int)(sizeof(grpc_code_names) /
							      sizeof(grpc_code_names[0]))
				   ? grpc_code_names[reply->grpc_status] : "unknown code";

		return lv_err_set(err, -EREMOTEIO, "gRPC status %d %s: %s", reply->grpc_status,
				  name, reply->grpc_message[0] ? reply->grpc_message : "(no message)");
	}
	if (!reply->grpc_status_in_trailers)
		return lv_err_set(err, -EPROTO, "grpc-status 0 without a message");
	r = frame_check(body, body_len, &msg, &msg_len, err);
	if (r < 0)
		return r;
	return lv_kms_response_decode(msg, msg_len, data, data_len, err);
}
