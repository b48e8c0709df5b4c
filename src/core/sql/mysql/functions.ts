import type { StatementClass } from '../types.ts';

/**
 * What calling a MySQL/MariaDB function can do, as for PostgreSQL
 * (`../functions.ts`): a statement takes the class of the riskiest function
 * it calls, and a function we do not know (a stored function, a UDF such as
 * `sys_exec`) is unknown, because its body can do anything. Names are
 * compared lower-case: MySQL function names are case-insensitive.
 */

/** Server-side file access and replication control. */
export const mysqlDangerousFunctions: ReadonlySet<string> = new Set(['load_file', 'master_pos_wait', 'source_pos_wait', 'master_gtid_wait', 'wait_for_executed_gtid_set']);

/** Builtins that change data (MariaDB sequences). */
export const mysqlWritingFunctions: ReadonlySet<string> = new Set(['nextval', 'setval']);

/** Builtins known to only compute or read (the common ones; anything else is unknown). */
export const mysqlReadOnlyFunctions: ReadonlySet<string> = new Set(
  `
  count sum avg min max group_concat json_arrayagg json_objectagg bit_and bit_or bit_xor std stddev stddev_pop
  stddev_samp variance var_pop var_samp row_number rank dense_rank percent_rank cume_dist ntile lag lead
  first_value last_value nth_value median percentile_cont percentile_disc
  abs ceil ceiling floor round truncate sign sqrt pow power exp ln log log2 log10 mod pi degrees radians rand
  greatest least coalesce ifnull nullif if isnull sin cos tan asin acos atan atan2 cot crc32 conv bin oct hex unhex
  lower upper lcase ucase length char_length character_length octet_length bit_length substr substring
  substring_index mid left right lpad rpad ltrim rtrim trim replace reverse repeat space position locate instr
  concat concat_ws format field find_in_set elt insert make_set export_set quote ascii ord char md5 sha sha1 sha2
  to_base64 from_base64 compress uncompress uncompressed_length weight_string soundex strcmp regexp_replace
  regexp_instr regexp_substr regexp_like convert cast charset collation coercibility
  now current_timestamp current_date current_time curdate curtime sysdate utc_date utc_time utc_timestamp
  localtime localtimestamp unix_timestamp from_unixtime date time year month day dayofmonth dayofweek dayofyear
  week weekday weekofyear yearweek hour minute second microsecond quarter monthname dayname last_day date_add
  date_sub adddate subdate addtime subtime datediff timediff timestampdiff timestampadd date_format time_format
  str_to_date makedate maketime period_add period_diff to_days from_days to_seconds sec_to_time time_to_sec
  extract get_format convert_tz
  json_object json_array json_extract json_unquote json_quote json_contains json_contains_path json_keys
  json_length json_depth json_type json_valid json_search json_set json_insert json_replace json_remove
  json_merge json_merge_patch json_merge_preserve json_array_append json_array_insert json_pretty json_table
  json_value json_overlaps json_schema_valid json_compact json_detailed json_loose json_exists json_query
  version database schema user current_user session_user system_user connection_id found_rows row_count
  last_insert_id current_role icu_version benchmark sleep uuid uuid_short uuid_to_bin bin_to_uuid is_uuid
  inet_aton inet_ntoa inet6_aton inet6_ntoa is_ipv4 is_ipv6 get_lock release_lock release_all_locks is_free_lock
  is_used_lock any_value default values grouping lastval
  `.trim().split(/\s+/),
);

/** What calling `fn` (lower-case) can do, and why. */
export function mysqlFunctionRisk(fn: string): { cls: StatementClass; reason: string; dangerous: boolean } {
  if (mysqlDangerousFunctions.has(fn)) return { cls: 'admin', reason: `calls ${fn}, a dangerous function`, dangerous: true };
  if (mysqlWritingFunctions.has(fn)) return { cls: 'write', reason: `calls ${fn}, which writes`, dangerous: false };
  if (mysqlReadOnlyFunctions.has(fn)) return { cls: 'read', reason: '', dangerous: false };
  return { cls: 'unknown', reason: `calls ${fn}, a function whose effect cannot be known`, dangerous: false };
}
