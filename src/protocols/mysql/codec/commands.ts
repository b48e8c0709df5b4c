/**
 * Command bytes of the command phase, and what the server answers to each.
 *
 * @see https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html
 */
export const com = {
  quit: 0x01,
  initDb: 0x02,
  query: 0x03,
  fieldList: 0x04,
  statistics: 0x09,
  processKill: 0x0c,
  debug: 0x0d,
  ping: 0x0e,
  changeUser: 0x11,
  stmtPrepare: 0x16,
  stmtExecute: 0x17,
  stmtSendLongData: 0x18,
  stmtClose: 0x19,
  stmtReset: 0x1a,
  setOption: 0x1b,
  stmtFetch: 0x1c,
  resetConnection: 0x1f,
} as const;

/**
 * The shape of the server's answer:
 * - `result`: OK / ERR / a result set (possibly several, chained by SERVER_MORE_RESULTS_EXISTS);
 * - `rows`: rows then EOF, or ERR (COM_STMT_FETCH);
 * - `prepare`: COM_STMT_PREPARE_OK with parameter and column definitions, or ERR;
 * - `fields`: column definitions then EOF, or ERR (COM_FIELD_LIST);
 * - `single`: exactly one packet (OK, ERR, EOF or the statistics string);
 * - `none`: no answer at all.
 */
export type ResponseShape = 'result' | 'rows' | 'prepare' | 'fields' | 'single' | 'none';

/** Commands the relay passes to the target, with the answer it then expects. Anything else is refused. */
export const relayed: ReadonlyMap<number, ResponseShape> = new Map<number, ResponseShape>([
  [com.quit, 'none'],
  [com.initDb, 'single'],
  [com.query, 'result'],
  [com.fieldList, 'fields'],
  [com.statistics, 'single'],
  [com.ping, 'single'],
  [com.stmtPrepare, 'prepare'],
  [com.stmtExecute, 'result'],
  [com.stmtSendLongData, 'none'],
  [com.stmtClose, 'none'],
  [com.stmtReset, 'single'],
  [com.setOption, 'single'],
  [com.stmtFetch, 'rows'],
  [com.resetConnection, 'single'],
]);
