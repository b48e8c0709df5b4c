import { UnknownRelation, type LineageEntry, type ViewResolver } from '../../masking/lineage.ts';
import { anySource } from '../../masking/types.ts';
import type { CatalogRelation, ViewDialect } from '../../masking/views.ts';
import { classificationKey } from './cache-key.ts';
import { definitionLineage, mysqlLineage } from './lineage.ts';
import type { MysqlParser } from './parser.ts';

/**
 * MySQL's side of masking's view lineage (core/masking/views.ts): texts and
 * view definitions (`information_schema.VIEWS.VIEW_DEFINITION`) go through
 * the MySQL lineage, names compare case-insensitively (a server with
 * lower_case_table_names folds them; elsewhere the extra candidates only mask
 * more), and a name the catalog does not list is a table (DDL commits at
 * once, so it is a TEMPORARY table or does not exist; views cannot be temporary).
 * Texts share a cached lineage only when they differ in integer literals
 * (the classification key: MySQL's lexer rules, not PostgreSQL's).
 */
export function mysqlViewDialect(parser: MysqlParser): ViewDialect {
  return {
    // undefined as a whole (text a server could read two ways): no statement is known.
    statements: (text, views) => mysqlLineage(parser, text, views) ?? [undefined],
    view: (v, views) => viewColumns(parser, v, views),
    key: classificationKey,
    foldCase: true,
    absent: 'table',
  };
}

/**
 * A view's columns, named as the catalog lists them (a column list in
 * CREATE VIEW renames them, and MySQL 8 keeps that list apart from the
 * definition), with their lineage through the definition.
 *
 * fail closed: a definition that cannot be followed — hidden (the target
 * user lacks SHOW VIEW: the catalog gives an empty one), unparseable, a
 * shape the lineage does not follow, or not lining up with the catalog's
 * columns — makes every column of the view "any column of any table"
 * (`anySource`): each is masked by the strictest column rule of the plan.
 * Columns of other relations in the same statement stay as they are, so a
 * join with such a view hides only what comes out of the view. Throws
 * UnknownRelation when a relation inside is not learned yet.
 */
export function viewColumns(parser: MysqlParser, v: CatalogRelation, views: ViewResolver): LineageEntry[] {
  let cols: LineageEntry[] | undefined;
  try {
    cols = v.definition ? definitionLineage(parser, v.definition, views) : undefined;
  } catch (err) {
    if (err instanceof UnknownRelation) throw err;
    cols = undefined;
  }
  const names = v.columns;
  if (cols !== undefined && !cols.some((c) => c.star === true)) {
    if (names === undefined) return cols;
    if (names.length === cols.length) return cols.map((c, i) => ({ name: names[i]!, sources: c.sources }));
  }
  if (names === undefined || names.length === 0) return [{ name: '*', star: true, sources: [anySource] }];
  return names.map((name) => ({ name, sources: [anySource] }));
}
