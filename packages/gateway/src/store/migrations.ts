import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'

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
    '0003-authorization': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('apps')
          .addColumn('client_id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('settings', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createTable('oidc_models')
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('grant_id', 'text')
          .addColumn('user_code', 'text')
          .addColumn('uid', 'text')
          .addColumn('expires_at', 'bigint')
          .addColumn('consumed_at', 'bigint')
          .addPrimaryKeyConstraint('oidc_models_pk', ['model', 'id'])
          .execute()
        await db.schema
          .createIndex('oidc_models_grant')
          .on('oidc_models')
          .column('grant_id')
          .execute()
        await db.schema
          .createIndex('oidc_models_uid')
          .on('oidc_models')
          .columns(['model', 'uid'])
          .execute()
        await db.schema
          .createIndex('oidc_models_user_code')
          .on('oidc_models')
          .columns(['model', 'user_code'])
          .execute()
        await db.schema
          .createTable('consents')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('consents_subject')
          .on('consents')
          .columns(['client_id', 'device_id', 'purpose'])
          .execute()
        await db.schema
          .createTable('pending_authorizations')
          .addColumn('auth_req_id', 'text', (c) => c.primaryKey())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('purpose', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('interval', 'integer', (c) => c.notNull())
          .addColumn('last_polled_at', 'bigint')
          .execute()
        await db.schema.alterTable('devices').addColumn('consent_policy', 'text').execute()
      },
    },
    '0004-subscriptions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('subscriptions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('api', 'text', (c) => c.notNull())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('sub', 'text')
          .addColumn('types', 'text', (c) => c.notNull())
          .addColumn('protocol', 'text', (c) => c.notNull())
          .addColumn('sink', 'text', (c) => c.notNull())
          .addColumn('sink_credential', 'text')
          .addColumn('sink_expires_at', 'text')
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('max_events', 'integer')
          .addColumn('events_sent', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('starts_at', 'text', (c) => c.notNull())
          .addColumn('ended_at', 'text')
          .addColumn('termination_reason', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('subscriptions_device')
          .on('subscriptions')
          .columns(['device_id', 'status'])
          .execute()
        await db.schema
          .createIndex('subscriptions_client')
          .on('subscriptions')
          .columns(['client_id', 'api'])
          .execute()
        // seq: insertion order, global; per subscription it orders the notifications.
        let notifications = db.schema.createTable('notifications')
        notifications =
          dialect === 'postgres'
            ? notifications.addColumn('seq', 'bigserial', (c) => c.primaryKey())
            : notifications.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        await notifications
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('subscription_id', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
          .addColumn('locked_until', 'bigint')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('delivered_at', 'text')
          .execute()
        await db.schema
          .createIndex('notifications_due')
          .on('notifications')
          .columns(['status', 'next_attempt_at'])
          .execute()
        await db.schema
          .createIndex('notifications_order')
          .on('notifications')
          .columns(['subscription_id', 'seq'])
          .execute()
        await db.schema
          .createTable('delivery_attempts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('notification_id', 'text', (c) => c.notNull())
          .addColumn('attempt', 'integer', (c) => c.notNull())
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('error', 'text')
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('delivery_attempts_notification')
          .on('delivery_attempts')
          .column('notification_id')
          .execute()
      },
    },
    '0005-rate-limits': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('rate_limit_windows')
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('window', 'bigint', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('rate_limit_windows_pk', ['key', 'window'])
          .execute()
      },
    },
    '0006-console-notification-cause': {
      // Which network event a notification comes from (null for lifecycle events): the
      // console's live view shows each event with the CloudEvents it produced.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('notifications').addColumn('network_event_id', 'text').execute()
        await db.schema
          .createIndex('notifications_network_event')
          .on('notifications')
          .column('network_event_id')
          .execute()
      },
    },
    '0007-nef-adapter': {
      // The NEF adapter (nef/, docs/nef.md): the last facts a NEF reported of each device it
      // watches (the "before" of the next report), and each NEF subscription the gateway holds
      // for a CAMARA subscription, found by its callback token's hash.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('nef_devices')
          .addColumn('device_id', 'text', (c) => c.primaryKey())
          // JSON: the visited country's MCC, null at home; column null: not reported yet.
          .addColumn('roaming', 'text')
          .addColumn('roaming_time', 'text')
          // JSON list of DATA / SMS; column null: not reported yet.
          .addColumn('connectivity', 'text')
          .addColumn('connectivity_time', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createTable('nef_subscriptions')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('subscription_id', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('monitoring_type', 'text', (c) => c.notNull())
          .addColumn('reachability_type', 'text')
          // The NEF's resource (`self`), null until the NEF created it.
          .addColumn('self', 'text')
          .addColumn('monitor_expire_time', 'text')
          .addColumn('maximum_number_of_reports', 'integer')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('checked_at', 'text')
          .execute()
        await db.schema
          .createIndex('nef_subscriptions_subscription')
          .on('nef_subscriptions')
          .column('subscription_id')
          .execute()
      },
    },
    '0008-nef-sim': {
      // The simulator as a NEF (nef-sim/): its Monitoring Event subscriptions and the
      // notifications still to be delivered, so that both survive a restart of nef-sim.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('nef_sim_subscriptions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('scs_as_id', 'text', (c) => c.notNull())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('monitoring_type', 'text', (c) => c.notNull())
          .addColumn('request', 'text', (c) => c.notNull())
          .addColumn('reports_left', 'integer')
          .addColumn('expires_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('nef_sim_subscriptions_device')
          .on('nef_sim_subscriptions')
          .column('device_id')
          .execute()
        let outbox = db.schema.createTable('nef_sim_notifications')
        outbox =
          dialect === 'postgres'
            ? outbox.addColumn('seq', 'bigserial', (c) => c.primaryKey())
            : outbox.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        await outbox
          .addColumn('subscription_id', 'text', (c) => c.notNull())
          .addColumn('destination', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('due_at', 'text', (c) => c.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute()
      },
    },
    '0007-pending-authorization-flow': {
      // Authorization-code requests waiting at the consent page are listed (and decided) with
      // the CIBA requests: which flow a pending authorization belongs to.
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('pending_authorizations')
          .addColumn('flow', 'text', (c) => c.notNull().defaultTo('ciba'))
          .execute()
      },
    },
    '0009-notifications-line': {
      // A subscription's line (its pending head, its queued notifications in order) found without
      // scanning its delivered history: promoting the next, and enqueue's "has a head" check, stay
      // constant-time however many notifications a subscription has had.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createIndex('notifications_line')
          .on('notifications')
          .columns(['subscription_id', 'status', 'seq'])
          .execute()
      },
    },
    '0010-notify-fan-out-queue': {
      // Fan-out off the request path: a network change records its event and a queue row in its
      // transaction; the fan-out worker turns it into notifications in chunks of subscriptions
      // (in id order, by device), recording how far it got. A subscription keeps the newest
      // event seq at its creation, so an event fanned out later skips it. Indexes for the
      // fan-out's chunks and the expiry sweep; one that no query reads is dropped.
      async up(db: Kysely<unknown>) {
        await db.schema
          .alterTable('subscriptions')
          .addColumn('events_after', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute()
        // A device's subscriptions in id order (the fan-out's chunks); it covers 0004's
        // `subscriptions_device`.
        await db.schema
          .createIndex('subscriptions_device_id')
          .on('subscriptions')
          .columns(['device_id', 'id'])
          .execute()
        await db.schema.dropIndex('subscriptions_device').execute()
        // The sweep's `dueToEnd` (every poll interval) finds the subscriptions whose time runs
        // out without reading all of them (100,000 on one device made it a scan of all).
        await db.schema
          .createIndex('subscriptions_expiry')
          .on('subscriptions')
          .column('expires_at')
          .execute()
        await db.schema
          .createIndex('subscriptions_sink_expiry')
          .on('subscriptions')
          .column('sink_expires_at')
          .execute()
        await db.schema
          .createTable('fan_out_queue')
          .addColumn('event_seq', 'bigint', (c) => c.primaryKey())
          .addColumn('device_id', 'text', (c) => c.notNull())
          .addColumn('after_subscription', 'text')
          .execute()
        await db.schema
          .createIndex('fan_out_queue_device')
          .on('fan_out_queue')
          .columns(['device_id', 'event_seq'])
          .execute()
        // Every query of a subscription's notifications names their status too (0009's
        // `notifications_line`): this index was one more write per notification, read by none.
        await db.schema.dropIndex('notifications_order').execute()
      },
    },
    '0011-notifications-waiting-lines': {
      // A subscription's line indexed by what waits in it, not by its whole history: partial
      // indexes hold only the head (`pending`, at most one per subscription: unique) and the
      // `queued` rows, a few entries per subscription, on a few pages. 0009's
      // `notifications_line` (subscription, status, seq) held every notification ever sent, so
      // each enqueue and each settle rewrote one page per subscription; at thousands of
      // deliveries a second those pages were most of what a commit wrote. The admin API's
      // history of a subscription reads `notifications_subscription` (subscription, seq), written
      // once per notification and never changed by its settle.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createIndex('notifications_head')
          .on('notifications')
          .column('subscription_id')
          .unique()
          .where(sql.ref('status'), '=', 'pending')
          .execute()
        await db.schema
          .createIndex('notifications_queued')
          .on('notifications')
          .columns(['subscription_id', 'seq'])
          .where(sql.ref('status'), '=', 'queued')
          .execute()
        await db.schema
          .createIndex('notifications_subscription')
          .on('notifications')
          .columns(['subscription_id', 'seq'])
          .execute()
        await db.schema.dropIndex('notifications_line').execute()
      },
    },
    '0012-subscriptions-live-endings': {
      // The sweep's `dueToEnd` reads the live subscriptions in the order their time runs out, a
      // bounded number at a time, from indexes that hold live subscriptions only. With 0010's
      // indexes over every subscription, PostgreSQL planned the sweep from statistics: on a
      // table never analysed (autovacuum off, or a bulk of new rows not analysed yet) its
      // estimate for `expires_at <= $1 or sink_expires_at <= $2` made it a parallel scan of the
      // whole table, 0.4 s per sweep with 100,000 subscriptions, every poll interval on every
      // instance. An ordered read with a limit from a partial index is planned as an index scan
      // whatever the statistics; ended subscriptions, which keep their past expiry, stay out of
      // it.
      async up(db: Kysely<unknown>) {
        for (const column of ['expires_at', 'sink_expires_at'])
          await db.schema
            .createIndex(`subscriptions_live_${column}`)
            .on('subscriptions')
            .column(column)
            .where(sql.ref('status'), 'in', ['ACTIVE', 'INACTIVE'])
            .execute()
        await db.schema.dropIndex('subscriptions_expiry').execute()
        await db.schema.dropIndex('subscriptions_sink_expiry').execute()
      },
    },
  }
  return { getMigrations: () => Promise.resolve(migrations) }
}
