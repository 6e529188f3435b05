/* SPDX-License-Identifier: ISC */
/*
 * jose_calls.h: every libjansson and libjose name the engine calls, made a
 * call through lv_jose()'s table (jose_api.h), so that neither library is
 * linked.  Included by engine.h after the libraries' headers.
 *
 * No function of luksvol's may take a library's name: an executable's
 * definition interposes on every shared library's call to that name, and
 * json-c (linked) shares some of jansson's.  The few jansson.h inlines that
 * call into the library get luksvol's own (lv_json_*), the others (e.g.
 * json_incref) stay as they are.
 */
#ifndef LV_CLEVIS_JOSE_CALLS_H
#define LV_CLEVIS_JOSE_CALLS_H

#include "clevis/jose_api.h"

/* jansson.h's json_decref, its library call through the table. */
static inline void lv_json_decref(json_t *json)
{
	if (json && json->refcount != (size_t)-1 && JSON_INTERNAL_DECREF(json) == 0)
		lv_jose()->json_delete(json);
}

static inline int lv_json_object_set(json_t *object, const char *key, json_t *value)
{
	return lv_jose()->json_object_set_new(object, key, json_incref(value));
}

static inline int lv_json_array_append(json_t *array, json_t *value)
{
	return lv_jose()->json_array_append_new(array, json_incref(value));
}

#define json_decref lv_json_decref
#define json_object_set lv_json_object_set
#define json_array_append lv_json_array_append

#define json_array (lv_jose()->json_array)
#define json_array_append_new (lv_jose()->json_array_append_new)
#define json_array_get (lv_jose()->json_array_get)
#define json_array_size (lv_jose()->json_array_size)
#define json_deep_copy (lv_jose()->json_deep_copy)
#define json_dumpb (lv_jose()->json_dumpb)
#define json_dumpfd (lv_jose()->json_dumpfd)
#define json_dumps (lv_jose()->json_dumps)
#define json_get_alloc_funcs (lv_jose()->json_get_alloc_funcs)
#define json_integer_value (lv_jose()->json_integer_value)
#define json_loadb (lv_jose()->json_loadb)
#define json_loads (lv_jose()->json_loads)
#define json_object (lv_jose()->json_object)
#define json_object_del (lv_jose()->json_object_del)
#define json_object_getn (lv_jose()->json_object_getn)
#define json_object_set_new (lv_jose()->json_object_set_new)
#define json_object_size (lv_jose()->json_object_size)
#define json_pack (lv_jose()->json_pack)
#define json_set_alloc_funcs (lv_jose()->json_set_alloc_funcs)
#define json_string (lv_jose()->json_string)
#define json_string_length (lv_jose()->json_string_length)
#define json_string_value (lv_jose()->json_string_value)
#define json_stringn (lv_jose()->json_stringn)

#define jose_b64_dec (lv_jose()->jose_b64_dec)
#define jose_b64_dec_io (lv_jose()->jose_b64_dec_io)
#define jose_b64_dec_load (lv_jose()->jose_b64_dec_load)
#define jose_b64_enc (lv_jose()->jose_b64_enc)
#define jose_b64_enc_buf (lv_jose()->jose_b64_enc_buf)
#define jose_cfg (lv_jose()->jose_cfg)
#define jose_cfg_decref (lv_jose()->jose_cfg_decref)
#define jose_cfg_set_err_func (lv_jose()->jose_cfg_set_err_func)
#define jose_io_buffer (lv_jose()->jose_io_buffer)
#define jose_io_decref (lv_jose()->jose_io_decref)
#define jose_jwe_dec_cek_io (lv_jose()->jose_jwe_dec_cek_io)
#define jose_jwe_dec_jwk (lv_jose()->jose_jwe_dec_jwk)
#define jose_jwe_enc_cek (lv_jose()->jose_jwe_enc_cek)
#define jose_jwe_enc_jwk (lv_jose()->jose_jwe_enc_jwk)
#define jose_jwe_hdr (lv_jose()->jose_jwe_hdr)
#define jose_jwk_exc (lv_jose()->jose_jwk_exc)
#define jose_jwk_gen (lv_jose()->jose_jwk_gen)
#define jose_jwk_prm (lv_jose()->jose_jwk_prm)
#define jose_jwk_pub (lv_jose()->jose_jwk_pub)
#define jose_jwk_thp (lv_jose()->jose_jwk_thp)
#define jose_jws_sig (lv_jose()->jose_jws_sig)
#define jose_jws_ver (lv_jose()->jose_jws_ver)

#endif
