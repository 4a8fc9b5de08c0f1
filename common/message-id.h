/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Every journal MESSAGE_ID mamori writes, in one place (README "Journal records" lists them for
 * people). Tests read this header instead of copying the IDs. One line per ID:
 *   #define MESSAGE_ID_<NAME> "<32 hex digits>" */

/* USB decisions (agent/usb, agent/audit) */
#define MESSAGE_ID_DEVICE_ALLOWED       "b2f6ff90c1d4432a81e92f5f316b7e39"
#define MESSAGE_ID_DEVICE_BLOCKED       "a2f7c104ca104ff98e5ddb1db007d307"
#define MESSAGE_ID_DEVICE_REJECTED      "d9df67c2f3f74c55bdabc8b2c32473b5"
#define MESSAGE_ID_RECORDS_SUPPRESSED   "18fb1a0ec6064bd0b04f1c748d981a29"

/* The policy (agent/core) */
#define MESSAGE_ID_POLICY_LOADED        "b85f8f1f9a664a59ac4ef0c3ca6c97c9"
#define MESSAGE_ID_POLICY_REJECTED      "aa7cf710a377487c90cd12629921dcf7"
#define MESSAGE_ID_POLICY_LAST_GOOD     "8a73e854831a4b248712a0d740a20b6b"

/* The encrypted-media check (agent/media) */
#define MESSAGE_ID_MEDIA_PASSED         "8e8874ba43a740eb80a304c979071087"
#define MESSAGE_ID_MEDIA_FAILED         "6f74027217e14f2b8a977de8d83af38e"

/* The virus scan of a released medium (agent/media, MED-09); its incident is MESSAGE_ID_INCIDENT */
#define MESSAGE_ID_MEDIA_SCAN_CLEAN     "ccee5497d25f433dafda87b06f97419e"
#define MESSAGE_ID_MEDIA_SCAN_INFECTED  "95c9934e064f4f16b1dd12453700f69f"
#define MESSAGE_ID_MEDIA_SCAN_INCOMPLETE "16116ce1b5f84f73b34869c10ef33ef9"

/* The event log (agent/audit) */
#define MESSAGE_ID_RECORDS_LOST         "a79cfca27f814ed0944e6be1aad51d3c"

/* The network guard and the quarantine (agent/net) */
#define MESSAGE_ID_NET_REVERTED         "a4a30fa6657c424fa5673ab7491aeb56"
#define MESSAGE_ID_NET_REPORTED         "9dfdd2a493e64426900e7374490e9ab1"
#define MESSAGE_ID_NET_REVERT_FAILED    "e5050e7009384814a5d58f7fdff5b9b5"
#define MESSAGE_ID_QUARANTINE_ON        "36d23848c15f483eb6729446185f3e92"
#define MESSAGE_ID_QUARANTINE_OFF       "205d39e28e264016ae363a70e3ef6cfe"

/* The posture checks (agent/posture) */
#define MESSAGE_ID_POSTURE_CHANGED      "5c0f6f0a2e1b4b0f9d83a1c4e7b2d915"
#define MESSAGE_ID_INCIDENT             "c3a9e51d7f2840a6b1e0d4f8a2c67b3e"
