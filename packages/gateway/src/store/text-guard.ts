import {
  BinaryOperationNode,
  OperationNodeTransformer,
  OperatorNode,
  PrimitiveValueListNode,
  RawNode,
  ValueListNode,
  ValueNode,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryCompiler,
} from 'kysely'

/**
 * A value the store cannot hold: text with a NUL character (U+0000). PostgreSQL's `text` refuses
 * it (error 22021) where SQLite keeps it, so the store refuses it on both, before the database
 * sees it. Only writes get here: a lookup by such a value finds nothing (see {@link nulTextGuard}).
 * The HTTP layers answer it as the malformed value it is (CAMARA `400 INVALID_ARGUMENT`, OAuth
 * `invalid_request`).
 */
export class UnstorableTextError extends Error {
  readonly code = 'EUNSTORABLETEXT'
  constructor() {
    super('text values must not contain NUL characters')
    this.name = 'UnstorableTextError'
  }
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (Array.isArray(value)) return value.some(hasNul)
  return false
}

/** Comparisons that no stored row can satisfy with a NUL value on the right. */
const MATCHING = new Set(['=', '==', 'in', 'like', 'ilike', 'is', 'glob'])

const NO_ROW = RawNode.createWithSql('(1 = 0)')

/**
 * Rewrites a query that carries a NUL in one of its values: a comparison that looks a row up by
 * such a value (`=`, `in`, `like`) matches nothing, since no stored text holds a NUL (writes are
 * refused), so it becomes `(1 = 0)` and the query answers as for an unknown value (a select finds
 * no row, an update or delete touches none). A NUL anywhere else, a value to be written above
 * all, throws {@link UnstorableTextError}.
 */
class NulTextTransformer extends OperationNodeTransformer {
  protected override transformBinaryOperation(node: BinaryOperationNode): BinaryOperationNode {
    const operator = OperatorNode.is(node.operator) ? node.operator.operator : undefined
    const right = node.rightOperand
    if (operator !== undefined && MATCHING.has(operator)) {
      if (ValueNode.is(right) && hasNul(right.value)) return NO_ROW as never
      if (PrimitiveValueListNode.is(right) && right.values.some(hasNul)) {
        const kept = right.values.filter((v) => !hasNul(v))
        if (kept.length === 0) return NO_ROW as never
        node = BinaryOperationNode.create(
          node.leftOperand,
          node.operator,
          PrimitiveValueListNode.create(kept),
        )
      } else if (ValueListNode.is(right)) {
        const kept = right.values.filter((v) => !(ValueNode.is(v) && hasNul(v.value)))
        if (kept.length === 0) return NO_ROW as never
        node = BinaryOperationNode.create(
          node.leftOperand,
          node.operator,
          ValueListNode.create(kept),
        )
      }
    }
    return super.transformBinaryOperation(node)
  }

  protected override transformValue(node: ValueNode): ValueNode {
    if (hasNul(node.value)) throw new UnstorableTextError()
    return node
  }

  protected override transformPrimitiveValueList(
    node: PrimitiveValueListNode,
  ): PrimitiveValueListNode {
    if (node.values.some(hasNul)) throw new UnstorableTextError()
    return node
  }
}

function guardConnection(connection: DatabaseConnection, compiler: QueryCompiler): void {
  const execute = connection.executeQuery.bind(connection)
  connection.executeQuery = <R>(compiled: CompiledQuery) => {
    // The common case costs one scan of the parameters; only a query with a NUL is rewritten.
    if (!compiled.parameters.some(hasNul)) return execute<R>(compiled)
    let rewritten: CompiledQuery
    try {
      const node = new NulTextTransformer().transformNode(compiled.query)
      rewritten = compiler.compileQuery(node, compiled.queryId)
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
    if (rewritten.parameters.some(hasNul)) return Promise.reject(new UnstorableTextError())
    return execute<R>(rewritten)
  }
}

/**
 * The store's one gate for text (issue 14): wraps a Kysely dialect so that every query of every
 * repository, on SQLite and PostgreSQL alike, treats a NUL character the same way: looked up, it
 * matches nothing; written, it is refused with {@link UnstorableTextError}. Checked on the
 * compiled parameters, so a query without one pays a single scan.
 */
export function nulTextGuard(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createDriver(): Driver {
      const driver = dialect.createDriver()
      const compiler = dialect.createQueryCompiler()
      const guarded = new WeakSet<DatabaseConnection>()
      const acquire = driver.acquireConnection.bind(driver)
      driver.acquireConnection = async () => {
        const connection = await acquire()
        if (!guarded.has(connection)) {
          guardConnection(connection, compiler)
          guarded.add(connection)
        }
        return connection
      }
      return driver
    },
  }
}
