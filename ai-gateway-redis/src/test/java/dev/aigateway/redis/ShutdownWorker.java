package dev.aigateway.redis;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * A JVM that reserves, settles and then exits without closing its store or connection: the store's
 * shutdown hook must still send the queued settlements. Arguments: Redis URI, calls.
 */
public final class ShutdownWorker {

  static final LimitSpec QUOTA =
      LimitSpec.quota("shutdown/quota", 1_000_000, QuotaPeriod.YEARLY, ZoneOffset.UTC);

  public static void main(String[] args) {
    int calls = Integer.parseInt(args[1]);
    RedisConnection connection =
        RedisConnection.builder().uri(args[0]).commandTimeout(Duration.ofSeconds(5)).build();
    RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build();
    // Connected first, as an application does at start-up: a reservation's command timeout covers
    // making its connections, which in a fresh JVM on a busy machine also loads the clients.
    connection.connect();
    for (int attempt = 1; ; attempt++) {
      try {
        Reservation warmUp =
            store.reserve(List.of(new LimitCharge(QUOTA, "warm-up", 0))).reservation();
        store.settle(warmUp, new long[] {0});
        break;
      } catch (RedisStoreException notYet) {
        if (attempt == 5) {
          throw notYet;
        }
      }
    }
    List<Reservation> held = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      held.add(store.reserve(List.of(new LimitCharge(QUOTA, "team-a", 100))).reservation());
    }
    for (Reservation reservation : held) {
      store.settle(reservation, new long[] {10}); // queued; nothing waits for Redis
    }
    System.out.println("SETTLED " + calls);
    System.out.flush();
    System.exit(0); // no close(): the shutdown hook flushes
  }

  private ShutdownWorker() {}
}
