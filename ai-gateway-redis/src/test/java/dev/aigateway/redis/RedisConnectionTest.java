package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.testing.RedisServer;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RedisConnectionTest {

  @Test
  void connectsLazilyPrefixesKeysAndReconnectsAfterARestart() throws Exception {
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection =
            RedisConnection.builder()
                .uri(redis.uri())
                .keyPrefix("app:")
                .commandTimeout(Duration.ofSeconds(1))
                .build()) {
      assertThat(connection.key("limit", "team-a")).isEqualTo("app:limit:team-a");
      assertThat(connection.connect()).isPositive();
      connection.strings().sync().set(connection.key("k"), "v");
      assertThat(redis.command("GET", "app:k")).isEqualTo("v");

      redis.restart();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      String answer = null;
      while (answer == null && System.nanoTime() < deadline) {
        try {
          answer = connection.strings().sync().ping();
        } catch (RuntimeException stillReconnecting) {
          Thread.sleep(50);
        }
      }
      assertThat(answer).isEqualTo("PONG");
    }
  }

  @Test
  void theStartUpPingHasTheConnectTimeoutStoreCommandsTheCommandTimeout() {
    RedisConnection.CommandTimeouts timeouts =
        new RedisConnection.CommandTimeouts(Duration.ofMillis(50), Duration.ofSeconds(2));
    assertThat(timeouts.getTimeUnit()).isEqualTo(TimeUnit.NANOSECONDS);
    assertThat(timeouts.getTimeout(new Command<>(CommandType.PING, null)))
        .isEqualTo(Duration.ofSeconds(2).toNanos());
    for (CommandType type : List.of(CommandType.GET, CommandType.FCALL, CommandType.EVALSHA)) {
      assertThat(timeouts.getTimeout(new Command<>(type, null)))
          .as("%s", type)
          .isEqualTo(Duration.ofMillis(50).toNanos());
    }
    assertThat(timeouts.getTimeout(new Command<>(CommandType.XREAD, null)))
        .isEqualTo(Duration.ofMillis(50).plus(RedisConnection.MAX_BLOCK).toNanos());
  }

  @Test
  void rejectsHashTagPrefixesAndKeepsPasswordsOutOfToString() {
    assertThatThrownBy(() -> RedisConnection.builder().keyPrefix("{app}:"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hash tag");
    assertThatThrownBy(() -> RedisConnection.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("uri");
    try (RedisConnection connection =
        RedisConnection.builder().uri("redis://:s3cret-pw@127.0.0.1:1").build()) {
      assertThat(connection.toString()).doesNotContain("s3cret").contains("127.0.0.1:1");
      assertThatThrownBy(connection::connect)
          .isInstanceOf(RedisStoreException.class)
          .hasMessageContaining("127.0.0.1:1")
          .hasMessageNotContaining("s3cret");
    }
  }
}
