import { type Kysely, type Migration, type MigrationProvider } from 'kysely'

export type Dialect = 'sqlite' | 'postgres'

/** One ordered list of migrations for both dialects; the only branch is the auto-increment type. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001-network': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('devices')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('phone_number', 'text', (c) => c.notNull().unique())
          .addColumn('network_access_identifier', 'text', (c) => c.unique())
          .addColumn('ipv4_public_address', 'text')
          .addColumn('ipv4_private_address', 'text')
          .addColumn('ipv4_public_port', 'integer')
          .addColumn('ipv6_address', 'text')
          .addColumn('ipv6_prefix', 'text')
          .addColumn('roaming_country_code', 'integer')
          .addColumn('connectivity', 'text', (c) => c.notNull())
          .addColumn('network_type', 'text')
          .addColumn('sim_swapped_at', 'text')
          .addColumn('sim_activated_at', 'text')
          .addColumn('not_applicable', 'text', (c) => c.notNull())
          .addColumn('network_unavailable', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('roaming_status_time', 'text', (c) => c.notNull())
          .addColumn('connectivity_status_time', 'text', (c) => c.notNull())
          .addColumn('network_type_status_time', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('devices_ipv4')
          .on('devices')
          .column('ipv4_public_address')
          .execute()
        await db.schema.createIndex('devices_ipv6').on('devices').column('ipv6_prefix').execute()

        let events = db.schema.createTable('network_events')
        events =
          dialect === 'postgres'
            ? events.addColumn('seq', 'bigserial', (c) => c.primaryKey())
            : events.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        await events
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('phone_number', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('data', 'text', (c) => c.notNull())
          .addColumn('occurred_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('network_events_device')
          .on('network_events')
          .column('device_id')
          .execute()
      },
    },
    '0002-auth-keys': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('signing_keys')
          .addColumn('kid', 'text', (c) => c.primaryKey())
          .addColumn('alg', 'text', (c) => c.notNull())
          .addColumn('private_jwk', 'text', (c) => c.notNull())
          .addColumn('public_jwk', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('retired_at', 'text')
          .execute()
        await db.schema
          .createTable('subjects')
          .addColumn('sub', 'text', (c) => c.primaryKey())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('subjects_pair', ['client_id', 'device_id'])
          .execute()
      },
    },
  }
  return { getMigrations: () => Promise.resolve(migrations) }
}
