/**
 * What calling a function can do. A statement is classified by the riskiest
 * function it calls: a `SELECT` that calls `pg_read_file` is admin, one that
 * calls `nextval` is a write, and one that calls a function we do not know
 * (a user function, any schema but pg_catalog) is unknown, because its body
 * can do anything a session can do.
 * Names are compared as written after stripping `pg_catalog.`; prefixes end in `*`.
 */

/** Server-side file access, backend control, configuration, foreign connections. */
export const dangerousFunctions: readonly string[] = [
  'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'pg_ls_logdir', 'pg_ls_waldir',
  'pg_ls_tmpdir', 'pg_ls_archive_statusdir', 'pg_ls_logicalsnapdir', 'pg_ls_logicalmapdir', 'pg_ls_replslotdir',
  'pg_terminate_backend', 'pg_cancel_backend', 'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote',
  'pg_switch_wal', 'pg_create_restore_point', 'pg_backup_start', 'pg_backup_stop', 'pg_start_backup',
  'pg_stop_backup', 'pg_log_backend_memory_contexts', 'pg_stat_reset*', 'pg_file_*', 'pg_logdir_ls',
  'pg_create_physical_replication_slot', 'pg_create_logical_replication_slot', 'pg_drop_replication_slot',
  'pg_replication_origin_*', 'pg_logical_emit_message', 'pg_wal_replay_*', 'pg_import_system_collations',
  'lo_import', 'lo_export', 'set_config', 'dblink*',
];

/** Functions that run SQL given as text: their effect cannot be known from the statement. */
export const dynamicSqlFunctions: readonly string[] = [
  'dblink*', 'query_to_xml*', 'query_to_xmlschema', 'cursor_to_xml*', 'table_to_xml*', 'schema_to_xml*',
  'database_to_xml*', 'ts_stat', 'xpath_table',
];

/** Builtins that change data (sequences, large objects). */
export const writingFunctions: readonly string[] = [
  'nextval', 'setval', 'lo_create', 'lo_creat', 'lo_unlink', 'lo_put', 'lo_from_bytea', 'lo_truncate*',
  'lo_open', 'lowrite', 'lo_write', 'pg_notify',
];

/** Builtins known to only compute or read (the common ones; anything else is unknown). */
export const readOnlyFunctions: ReadonlySet<string> = new Set(
  `
  count sum avg min max every bool_and bool_or bit_and bit_or bit_xor string_agg array_agg json_agg jsonb_agg
  json_object_agg jsonb_object_agg xmlagg stddev stddev_pop stddev_samp variance var_pop var_samp corr covar_pop
  covar_samp regr_slope regr_intercept regr_count regr_r2 percentile_cont percentile_disc mode rank dense_rank
  percent_rank cume_dist row_number ntile lag lead first_value last_value nth_value any_value range_agg
  abs ceil ceiling floor round trunc sign sqrt cbrt power pow exp ln log log10 mod div pi degrees radians
  random setseed gcd lcm width_bucket scale greatest least coalesce nullif sin cos tan asin acos atan atan2
  lower upper initcap length char_length character_length octet_length bit_length substr substring left right
  lpad rpad ltrim rtrim btrim trim replace reverse repeat position strpos split_part concat concat_ws format
  translate overlay ascii chr md5 sha224 sha256 sha384 sha512 encode decode convert convert_from convert_to
  to_hex quote_ident quote_literal quote_nullable regexp_replace regexp_match regexp_matches regexp_split_to_array
  regexp_split_to_table regexp_count regexp_instr regexp_like regexp_substr starts_with string_to_array
  string_to_table array_to_string unnest array_length array_lower array_upper array_dims array_ndims cardinality
  array_append array_prepend array_cat array_position array_positions array_remove array_replace generate_series
  generate_subscripts now current_timestamp current_date current_time localtime localtimestamp clock_timestamp
  statement_timestamp transaction_timestamp timeofday date_part date_trunc date_bin extract age make_date
  make_time make_timestamp make_timestamptz make_interval justify_days justify_hours justify_interval isfinite
  to_char to_date to_number to_timestamp timezone
  to_json to_jsonb row_to_json array_to_json json_build_object jsonb_build_object json_build_array
  jsonb_build_array json_object jsonb_object json_array_length jsonb_array_length json_each jsonb_each
  json_each_text jsonb_each_text json_extract_path jsonb_extract_path json_extract_path_text
  jsonb_extract_path_text json_object_keys jsonb_object_keys json_array_elements jsonb_array_elements
  json_array_elements_text jsonb_array_elements_text json_typeof jsonb_typeof json_strip_nulls jsonb_strip_nulls
  jsonb_set jsonb_insert jsonb_pretty jsonb_path_query jsonb_path_exists jsonb_path_match json_populate_record
  jsonb_populate_record json_to_record jsonb_to_record json_to_recordset jsonb_to_recordset
  xmlelement xmlforest xmlconcat xmlparse xmlserialize xmlroot xpath xpath_exists
  version current_user session_user current_role user current_schema current_schemas current_database
  current_catalog current_setting inet_client_addr inet_client_port inet_server_addr inet_server_port
  pg_backend_pid pg_postmaster_start_time pg_conf_load_time pg_is_in_recovery txid_current
  txid_current_if_assigned pg_current_xact_id pg_current_xact_id_if_assigned
  has_table_privilege has_column_privilege has_schema_privilege has_database_privilege has_function_privilege
  has_sequence_privilege pg_has_role row_security_active pg_table_is_visible pg_type_is_visible
  pg_function_is_visible format_type pg_get_viewdef pg_get_indexdef pg_get_constraintdef pg_get_functiondef
  pg_get_function_arguments pg_get_function_result pg_get_function_identity_arguments pg_get_triggerdef
  pg_get_ruledef pg_get_expr pg_get_userbyid pg_get_serial_sequence pg_get_keywords pg_get_statisticsobjdef
  pg_get_partkeydef obj_description col_description shobj_description pg_describe_object pg_identify_object
  pg_typeof pg_column_size pg_database_size pg_relation_size pg_table_size pg_indexes_size pg_total_relation_size
  pg_size_pretty pg_size_bytes pg_relation_filenode pg_relation_filepath pg_tablespace_location
  pg_encoding_to_char pg_char_to_encoding pg_client_encoding pg_collation_for pg_jit_available
  pg_last_committed_xact pg_stat_get_activity pg_blocking_pids pg_safe_snapshot_blocking_pids
  pg_try_advisory_lock pg_advisory_lock pg_advisory_unlock pg_advisory_unlock_all pg_try_advisory_xact_lock
  pg_advisory_xact_lock pg_input_is_valid pg_input_error_info
  pg_sleep pg_sleep_for gen_random_uuid uuidv4 uuidv7 num_nonnulls num_nulls bool int2 int4 int8 float4 float8 numeric text
  host hostmask masklen netmask network broadcast family abbrev inet_same_family inet_merge set_masklen
  array_fill array_sample array_shuffle array_reverse array_sort trim_array
  `.trim().split(/\s+/),
);

/** True when `name` matches one of `list` (exact, or prefix for entries ending in `*`). */
export function inList(list: readonly string[], name: string): boolean {
  for (const entry of list) {
    if (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry) return true;
  }
  return false;
}
