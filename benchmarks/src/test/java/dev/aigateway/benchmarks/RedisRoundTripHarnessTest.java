package dev.aigateway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;

/** The round-trip harness times one PING per entry, through each client, sorted. */
class RedisRoundTripHarnessTest {

  @Test
  void eachClientGivesOneSortedTimePerPing() throws Exception {
    try (RedisServer redis = RedisServer.start()) {
      RedisClient client = RedisClient.create(redis.uri());
      try (StatefulRedisConnection<String, String> lettuce = client.connect();
          Connection jedis = new Connection(new HostAndPort("127.0.0.1", redis.port()))) {
        long[] viaEventLoop = RedisRoundTripHarness.viaEventLoop(lettuce.async(), 50);
        long[] onCallerThread = RedisRoundTripHarness.onCallerThread(jedis, 50);

        assertThat(viaEventLoop).hasSize(50).isSorted();
        assertThat(viaEventLoop[0]).isPositive();
        assertThat(onCallerThread).hasSize(50).isSorted();
        assertThat(onCallerThread[0]).isPositive();
      } finally {
        client.shutdown();
      }
    }
  }
}
