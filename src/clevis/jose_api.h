/* SPDX-License-Identifier: ISC */
/*
 * jose_api.h: libjose and libjansson, loaded on first use
 * (src/base/dl_table.h).  Linked, libjose's constructor seeds OpenSSL's
 * random generator, which loads and parses openssl.cnf before main of
 * every luksvol command (~120 page faults, ~4 ms: bench/issue14.md);
 * only the clevis engine needs them.
 *
 * The engine's files include engine.h, which redirects each name below to
 * this table (jose_calls.h); this header alone is for the loader.
 */
#ifndef LV_CLEVIS_JOSE_API_H
#define LV_CLEVIS_JOSE_API_H

#include <jansson.h>
#include <jose/b64.h>
#include <jose/cfg.h>
#include <jose/io.h>
#include <jose/jwe.h>
#include <jose/jwk.h>
#include <jose/jws.h>

#include "luksvol.h"

/* The sonames of Debian 12's libjose0 and libjansson4. */
#define LV_JOSE_SONAME "libjose.so.0"
#define LV_JANSSON_SONAME "libjansson.so.4"

/* A pointer of exactly the type the header declares for call. */
#define LV_JOSE_CALL(call) __typeof__(call) *call

/* The calls the engine, its unit tests (jose_jws_sig, json_dumpfd) and its
 * fuzz targets make. */
struct lv_jose_api {
	/* libjansson */
	LV_JOSE_CALL(json_array);
	LV_JOSE_CALL(json_array_append_new);
	LV_JOSE_CALL(json_array_get);
	LV_JOSE_CALL(json_array_size);
	LV_JOSE_CALL(json_deep_copy);
	LV_JOSE_CALL(json_delete);
	LV_JOSE_CALL(json_dumpb);
	LV_JOSE_CALL(json_dumpfd);
	LV_JOSE_CALL(json_dumps);
	LV_JOSE_CALL(json_get_alloc_funcs);
	LV_JOSE_CALL(json_integer_value);
	LV_JOSE_CALL(json_loadb);
	LV_JOSE_CALL(json_loads);
	LV_JOSE_CALL(json_object);
	LV_JOSE_CALL(json_object_del);
	LV_JOSE_CALL(json_object_getn);
	LV_JOSE_CALL(json_object_set_new);
	LV_JOSE_CALL(json_object_size);
	LV_JOSE_CALL(json_pack);
	LV_JOSE_CALL(json_set_alloc_funcs);
	LV_JOSE_CALL(json_string);
	LV_JOSE_CALL(json_string_length);
	LV_JOSE_CALL(json_string_value);
	LV_JOSE_CALL(json_stringn);
	/* libjose */
	LV_JOSE_CALL(jose_b64_dec);
	LV_JOSE_CALL(jose_b64_dec_io);
	LV_JOSE_CALL(jose_b64_dec_load);
	LV_JOSE_CALL(jose_b64_enc);
	LV_JOSE_CALL(jose_b64_enc_buf);
	LV_JOSE_CALL(jose_cfg);
	LV_JOSE_CALL(jose_cfg_decref);
	LV_JOSE_CALL(jose_cfg_set_err_func);
	LV_JOSE_CALL(jose_io_buffer);
	LV_JOSE_CALL(jose_io_decref);
	LV_JOSE_CALL(jose_jwe_dec_cek_io);
	LV_JOSE_CALL(jose_jwe_dec_jwk);
	LV_JOSE_CALL(jose_jwe_enc_cek);
	LV_JOSE_CALL(jose_jwe_enc_jwk);
	LV_JOSE_CALL(jose_jwe_hdr);
	LV_JOSE_CALL(jose_jwk_exc);
	LV_JOSE_CALL(jose_jwk_gen);
	LV_JOSE_CALL(jose_jwk_prm);
	LV_JOSE_CALL(jose_jwk_pub);
	LV_JOSE_CALL(jose_jwk_thp);
	LV_JOSE_CALL(jose_jws_sig);
	LV_JOSE_CALL(jose_jws_ver);
};

/*
 * Loads libjansson then libjose (RTLD_LOCAL: jansson's json_object_get
 * never shadows json-c's), once per process, and makes jansson's frees
 * wipe.  Every entry point of the engine calls it before its first JSON or
 * JOSE call: 0, or -ENOTSUP with one line ("cannot load libjose.so.0: ...",
 * "libjose.so.0: no jose_jwe_dec_jwk in it").
 */
int lv_jose_load(struct lv_err *err);

/* The calls; only once lv_jose_load has returned 0. */
const struct lv_jose_api *lv_jose(void);

#endif
