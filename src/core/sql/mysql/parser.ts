import { createRequire } from 'node:module';

/**
 * node-sql-parser's MySQL grammar (its `build/mysql.js` only, not all
 * dialects). Chosen over its MariaDB grammar because it parses more of the
 * corpus (e.g. `CREATE TABLE … AS SELECT`); statements either rejects are
 * recognised by `fallback.ts` or are unknown.
 */
export interface MysqlAst {
  readonly ast: unknown;
  /** `"select::db::table"` entries (db and table may be the string `null`). */
  readonly tableList: readonly string[];
}

export interface MysqlParser {
  /** Throws for text the grammar rejects. */
  parse(code: string): MysqlAst;
}

interface NodeSqlParser {
  parse(sql: string, opt: { database: string }): { ast: unknown; tableList: string[] };
}

const require = createRequire(import.meta.url);

/** A parser instance; each classifier owns one (the grammar holds no state between calls). */
export function createMysqlParser(): MysqlParser {
  // The grammar is loaded at the first statement, not with the gateway: ~11 MB of RSS that a
  // gateway serving no MySQL never needs.
  let parser: NodeSqlParser | undefined;
  return {
    parse: (code) => {
      parser ??= new (require('node-sql-parser/build/mysql.js') as { Parser: new () => NodeSqlParser }).Parser();
      const r = parser.parse(code, { database: 'MySQL' });
      return { ast: r.ast, tableList: r.tableList };
    },
  };
}
