package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The test fixture itself: a real redis-server that Lettuce reaches, stops and restarts. */
class RedisServerTest {

  @Test
  void startsAServerLettuceReachesAndRestartsItEmptyOnTheSamePort() {
    try (RedisServer redis = RedisServer.start()) {
      RedisURI uri = RedisURI.create(redis.uri());
      uri.setTimeout(Duration.ofSeconds(2));
      RedisClient client = RedisClient.create(uri);
      try (StatefulRedisConnection<String, String> connection = client.connect()) {
        connection.sync().set("k", "v");
        assertThat(connection.sync().get("k")).isEqualTo("v");
        assertThat(redis.command("GET", "k")).isEqualTo("v");

        int port = redis.port();
        redis.restart();
        assertThat(redis.port()).isEqualTo(port);
        assertThat(redis.command("EXISTS", "k")).isEqualTo(":0");
      } finally {
        client.shutdown();
      }
      redis.kill();
      assertThat(redis.isRunning()).isFalse();
      assertThatThrownBy(() -> redis.command("PING")).hasMessageContaining("PING failed");
    }
  }
}
