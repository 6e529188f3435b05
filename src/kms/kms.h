/* SPDX-License-Identifier: ISC */
/*
 * kms.h: Talos's KMS key engine (talos-encryption.md §2.3, §3, §7).
 *
 * A kms key is 32 random bytes K, sealed by a sidero.kms.KMSService server
 * for one node; the LUKS passphrase is base64(K), and the sealed bytes live
 * in a sideroKMS token at the slot's id.  This header is the engine the kms
 * key source calls: seal and unseal over gRPC (grpc.c on libcurl), the
 * sideroKMS token codec, and the parsers of everything the server sends
 * (wire.c), which the fuzzer drives directly.
 *
 * Every call returns 0 or a negative errno and fills a struct lv_err with
 * one line naming the endpoint and what failed:
 *   -EINVAL     a bad endpoint, CA file, node UUID or token
 *   -EPROTO     the server answered something that is not a valid reply
 *   -EREMOTEIO  the server answered with a gRPC error status
 *   -ETIMEDOUT  no complete answer within the timeout
 *   -ECONNREFUSED, -EHOSTUNREACH   the server could not be reached
 *   -EACCES     the server's TLS certificate was not accepted
 *   -ENOMEM
 *   LV_KMS_TOKEN_INVALID   no token, or a token of another type
 * K and the unsealed bytes only ever live in struct lv_secret buffers.
 */
#ifndef LV_KMS_H
#define LV_KMS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "luksvol.h"

#define LV_KMS_KEY_BYTES 32		/* K, as Talos generates it */
#define LV_KMS_PASSPHRASE_LEN 44	/* base64(K) */
#define LV_KMS_SEALED_MAX 4096		/* the reference server seals to 60 */
#define LV_KMS_NODE_UUID_MAX 1024
#define LV_KMS_TIMEOUT_MS 10000		/* Talos: context.WithTimeout(10 s) */
#define LV_KMS_TOKEN_TYPE "sideroKMS"

/* The slot cannot be checked with this key: its token is missing or of
 * another type (Talos's ErrTokenInvalid); the same code as keys.h's
 * LV_KEY_TOKEN_INVALID. */
#define LV_KMS_TOKEN_INVALID (-EBADMSG)

/* ---- endpoints (endpoint.c) --------------------------------------------- */

#define LV_KMS_HOST_MAX 255

struct lv_kms_endpoint {
	int tls;			/* every scheme but grpc:// */
	char host[LV_KMS_HOST_MAX + 1];	/* an IPv6 address keeps its brackets */
	unsigned port;
};

/* Parses a Talos KMS endpoint (talos:internal/pkg/endpoint): see the
 * grammar in endpoint.c. */
int lv_kms_endpoint_parse(const char *text, struct lv_kms_endpoint *ep, struct lv_err *err);

/* ---- calls (kms.c, grpc.c) ------------------------------------------------ */

struct lv_kms_server {
	const char *endpoint;		/* as configured: "kms.example:4050", "https://..." */
	const char *ca_file;		/* PEM CA trusted besides the system roots, or NULL */
	unsigned timeout_ms;		/* 0: LV_KMS_TIMEOUT_MS */
};

/* What a call will check of ca_file, checked now: a regular file of at
 * most 1 MiB with a PEM certificate in it (-EINVAL otherwise). */
int lv_kms_ca_check(const char *ca_file, struct lv_err *err);

/* Seal(node_uuid, key): *sealed (malloc'ed, 1..LV_KMS_SEALED_MAX bytes) is
 * what the server returned. */
int lv_kms_seal(const struct lv_kms_server *srv, const char *node_uuid,
		const struct lv_secret *key, uint8_t **sealed, size_t *sealed_len,
		struct lv_err *err);

/* Unseal(node_uuid, sealed): *key is LV_KMS_KEY_BYTES bytes.  A server that
 * cannot decrypt answers random bytes (§7): only the keyslot can tell. */
int lv_kms_unseal(const struct lv_kms_server *srv, const char *node_uuid,
		  const uint8_t *sealed, size_t sealed_len, struct lv_secret **key,
		  struct lv_err *err);

/* The LUKS passphrase of a key: standard base64 with padding, 44 bytes. */
int lv_kms_passphrase(const struct lv_secret *key, struct lv_secret **passphrase);

/* Enrol (Talos NewKey): a new K sealed by the server; *passphrase is
 * base64(K), *token_json the sideroKMS token to import at the slot's id. */
int lv_kms_enrol(const struct lv_kms_server *srv, const char *node_uuid,
		 struct lv_secret **passphrase, char **token_json, struct lv_err *err);

/* Open (Talos GetKey): token_json is the slot's token (NULL when it has
 * none); *passphrase is base64 of what the server unsealed. */
int lv_kms_open(const struct lv_kms_server *srv, const char *node_uuid,
		const char *token_json, struct lv_secret **passphrase, struct lv_err *err);

/* ---- the sideroKMS token (token.c) --------------------------------------- */

/* {"UserData":{"sealedData":"<base64>"},"type":"sideroKMS","keyslots":[]},
 * byte for byte as Go's encoding/json writes go-blockdevice's Token.
 * Returns a malloc'ed string, or NULL when out of memory or sealed_len is
 * 0 or above LV_KMS_SEALED_MAX. */
char *lv_kms_token_encode(const uint8_t *sealed, size_t sealed_len);

/* The sealed bytes of a sideroKMS token: LV_KMS_TOKEN_INVALID when json is
 * NULL or the token's type is another; -EINVAL when a sideroKMS token is
 * malformed (UserData not an object, an unknown field in it, sealedData
 * missing, not base64, empty or above LV_KMS_SEALED_MAX). */
int lv_kms_token_decode(const char *json, uint8_t **sealed, size_t *sealed_len,
			struct lv_err *err);

/* ---- the wire (wire.c): pure functions over bytes from the network ------- */

#define LV_GRPC_HEADER_BYTES 5
#define LV_GRPC_BODY_MAX 65536		/* a Response is at most a few KiB */
#define LV_GRPC_HEADER_LINES_MAX 64
#define LV_GRPC_MESSAGE_TEXT_MAX 160

/* A gRPC request message, framed: the 5-byte prefix, then the protobuf
 * Request{string node_uuid = 1; bytes data = 2}.  It holds the data, so it
 * is a secret. */
int lv_grpc_request_frame(const char *node_uuid, const uint8_t *data, size_t data_len,
			  struct lv_secret **frame, struct lv_err *err);

/* What the response headers and trailers said, fed one line at a time as
 * libcurl hands them to its header callback. */
struct lv_grpc_reply {
	int http_status;		/* 0: no status line yet */
	int http_version;		/* 2 for "HTTP/2" */
	int in_trailers;		/* the header block has ended */
	int lines;
	int content_type_seen;
	int content_type_grpc;
	int grpc_status;		/* -1: none */
	int grpc_status_in_trailers;
	char content_type[48];		/* printable, cut */
	char grpc_message[LV_GRPC_MESSAGE_TEXT_MAX];	/* percent-decoded, printable, cut */
	char bad[96];			/* the first malformed line, described */
};

void lv_grpc_reply_init(struct lv_grpc_reply *reply);
/* One header or trailer line, with or without its CRLF. */
void lv_grpc_reply_line(struct lv_grpc_reply *reply, const char *line, size_t len);

/* The verdict on a complete reply: 0 with *data and *data_len pointing into
 * body at Response.data (empty when the field is absent); -EREMOTEIO for a
 * gRPC error status; -EPROTO for anything malformed. */
int lv_grpc_reply_check(const struct lv_grpc_reply *reply, const uint8_t *body, size_t body_len,
			const uint8_t **data, size_t *data_len, struct lv_err *err);

/* Response{bytes data = 1} from a protobuf message, strictly: a truncated
 * or overlong varint, a field other than 1, a wire type other than 2 or a
 * length past the end is refused; a repeated field 1 replaces the earlier
 * one, as protobuf decoders do. */
int lv_kms_response_decode(const uint8_t *msg, size_t len, const uint8_t **data,
			   size_t *data_len, struct lv_err *err);

/* Copies text for a message: printable ASCII kept, anything else as '?',
 * cut at out_size - 1 bytes (with "..." when cut). */
void lv_kms_printable(char *out, size_t out_size, const char *text, size_t len);

#endif
