package dev.aigateway.redis;

import dev.aigateway.api.QuotaPeriod;
import dev.aigateway.api.spi.LimitCharge;
import dev.aigateway.api.spi.LimitSpec;
import dev.aigateway.api.spi.Reservation;
import dev.aigateway.api.spi.ReserveResult;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * One gateway JVM of {@link CrossProcessAdmissionTest}: its threads reserve random prompt sizes on
 * one shared consumer quota until it is spent, then, when the parent says {@code SETTLE} on stdin
 * (every JVM has stopped reserving), settle each reservation to a random actual amount.
 *
 * <p>Arguments: Redis URI, key prefix, threads, seed, quota capacity, start time (epoch ms). Output
 * lines: {@code RESERVED <admissions> <units reserved>}, then {@code SETTLED <units>}.
 */
public final class LimitWorker {

  static LimitSpec quota(long capacity) {
    return LimitSpec.quota("shared/quota", capacity, QuotaPeriod.YEARLY, ZoneOffset.UTC);
  }

  public static void main(String[] args) throws Exception {
    String uri = args[0];
    String prefix = args[1];
    int threads = Integer.parseInt(args[2]);
    long seed = Long.parseLong(args[3]);
    LimitSpec limit = quota(Long.parseLong(args[4]));
    long startAt = Long.parseLong(args[5]);
    try (RedisConnection connection =
            RedisConnection.builder()
                .uri(uri)
                .keyPrefix(prefix)
                .commandTimeout(Duration.ofSeconds(5))
                .build();
        RedisTokenLimitStore store = RedisTokenLimitStore.builder(connection).build()) {
      System.err.println("up " + (startAt - System.currentTimeMillis()) + " ms before the start");
      for (int attempt = 1; ; attempt++) { // connect before the start; slow on a busy machine
        try {
          store.reserve(List.of(new LimitCharge(limit, "warm-up", 0)));
          break;
        } catch (RedisStoreException notYet) {
          if (attempt == 5) {
            throw notYet;
          }
        }
      }
      Queue<Reservation> held = new ConcurrentLinkedQueue<>();
      CountDownLatch done = new CountDownLatch(threads);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        SplittableRandom random = new SplittableRandom(seed * 1_000 + t);
        Thread worker =
            new Thread(
                () -> {
                  try {
                    Thread.sleep(Math.max(0, startAt - System.currentTimeMillis()));
                    int rejectedInARow = 0;
                    while (rejectedInARow < 10) {
                      long prompt = 1 + random.nextInt(4_000);
                      ReserveResult result =
                          store.reserve(List.of(new LimitCharge(limit, "consumer-1", prompt)));
                      if (result.admitted()) {
                        held.add(result.reservation());
                        rejectedInARow = 0;
                      } else {
                        rejectedInARow++;
                      }
                    }
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  } finally {
                    done.countDown();
                  }
                });
        worker.start();
        workers.add(worker);
      }
      done.await();
      System.err.println(
          "reserving ended " + (System.currentTimeMillis() - startAt) + " ms after the start");
      long reserved = 0;
      for (Reservation reservation : held) {
        reserved += reservation.charges().get(0).amount();
      }
      System.out.println("RESERVED " + held.size() + " " + reserved);
      System.out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      if (!"SETTLE".equals(in.readLine())) {
        throw new IllegalStateException("expected SETTLE on stdin");
      }
      SplittableRandom random = new SplittableRandom(seed);
      long actualSum = 0;
      for (Reservation reservation : held) {
        long estimate = reservation.charges().get(0).amount();
        long actual = random.nextLong(2 * estimate + 1); // below, at or above the estimate
        store.settle(reservation, new long[] {actual});
        actualSum += actual;
      }
      store.flush(Duration.ofSeconds(30)); // settlements are sent in batches, without waiting
      System.out.println("SETTLED " + actualSum + " " + store.settlements().pending());
      System.out.flush();
    }
  }

  private LimitWorker() {}
}
