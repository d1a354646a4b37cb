package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.testing.RedisServer;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
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
  void aCommandOrConnectTimeoutBeyondAnHourIsRefusedAtBuildTimeNamingTheSetting() {
    // ChronoUnit.FOREVER's duration once threw ArithmeticException from build() (nanoseconds
    // beyond a long), and a timeout of days would hold every call waiting on Redis as long.
    for (Duration tooLong :
        List.of(
            ChronoUnit.FOREVER.getDuration(),
            Duration.ofSeconds(Long.MAX_VALUE),
            Duration.ofHours(1).plusNanos(1))) {
      assertThatThrownBy(() -> RedisConnection.builder().commandTimeout(tooLong))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("commandTimeout must be positive and at most PT1H");
      assertThatThrownBy(() -> RedisConnection.builder().connectTimeout(tooLong))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("connectTimeout must be positive and at most PT1H");
    }
    assertThatThrownBy(() -> RedisConnection.builder().commandTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("commandTimeout");
    RedisConnection.builder()
        .uri("redis://127.0.0.1:6379")
        .commandTimeout(Duration.ofHours(1))
        .connectTimeout(Duration.ofHours(1))
        .build()
        .close(); // an hour is taken: nothing connects before a store uses it
  }

  @Test
  void closeAndLoadWaitsOfForeverWaitWithoutLimit() throws Exception {
    // Both once threw ArithmeticException (nanoseconds beyond a long): the vector store's from
    // build(), the token store's from its builder's build().
    try (RedisServer redis = RedisServer.start();
        RedisConnection connection = RedisConnection.builder().uri(redis.uri()).build()) {
      RedisTokenLimitStore store =
          RedisTokenLimitStore.builder(connection)
              .closeTimeout(ChronoUnit.FOREVER.getDuration())
              .build();
      store.close(); // nothing queued: returns at once
      RedisVectorStore vectors =
          RedisVectorStore.builder(connection)
              .name("forever")
              .waitForLoad(ChronoUnit.FOREVER.getDuration())
              .build(); // Redis answers: the first load ends the wait
      vectors.close();
    }
  }

  @Test
  void aUriThatDoesNotParseIsRejectedWithoutItsPassword() {
    // Reserved characters in a password that is not percent-encoded (as generated passwords often
    // have), or a stray space: the URI parser's own message quotes the whole URI.
    for (String uri :
        List.of(
            "redis://:s3c^ret-pw@127.0.0.1:6379",
            "redis://:s3c%ret-pw@127.0.0.1:6379",
            "redis://app:s3c ret-pw@127.0.0.1:6379",
            "redis://:s3c/ret-pw@127.0.0.1:6379",
            "redis://:s3cret-pw@127.0.0.1:6379 ")) {
      assertThatThrownBy(() -> RedisConnection.builder().uri(uri))
          .as(uri)
          .satisfies(
              e -> assertThat(stackTraceOf(e)).doesNotContain("s3c").doesNotContain("ret-pw"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("percent-encoded");
    }
  }

  @Test
  void aPasswordCutShortByAHashOrAQuestionMarkIsRejectedNotTakenForTheHost() {
    // Parsed without complaint, but the password's first part becomes the host: it would be in
    // toString and in every message naming the server.
    for (String uri :
        List.of(
            "redis://:s3c#ret-pw@127.0.0.1:6379",
            "redis://app:s3c?ret-pw@127.0.0.1:6379",
            "redis://s3c#ret-pw@127.0.0.1:6379")) {
      assertThatThrownBy(() -> RedisConnection.builder().uri(uri))
          .as(uri)
          .satisfies(
              e -> assertThat(stackTraceOf(e)).doesNotContain("s3c").doesNotContain("ret-pw"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("percent-encoded");
    }
    // the same passwords percent-encoded are fine, and so is an '@' in a query parameter
    for (String uri :
        List.of(
            "redis://:s3c%23ret-pw@127.0.0.1:6379",
            "redis://app:s3c%3Fret-pw@127.0.0.1:6379",
            "redis://:s3c%5Eret-pw@127.0.0.1:6379",
            "redis://127.0.0.1:6379?clientName=app@host")) {
      try (RedisConnection connection = RedisConnection.builder().uri(uri).build()) {
        assertThat(connection.toString())
            .as(uri)
            .isEqualTo("RedisConnection[127.0.0.1:6379, keyPrefix=aigw:]");
      }
    }
  }

  private static String stackTraceOf(Throwable e) {
    java.io.StringWriter out = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }

  @Test
  void rejectsAPrefixThatUtf8CannotCarryWhichWouldShareKeysAndDeafenTheHealthChannel() {
    // Redis keys and channels travel as UTF-8, which writes an unpaired surrogate as '?': the
    // prefixes "app\ud800:" and "app\udc00:" would share every key, and a health channel on it
    // would hear back "app?:backend-health", which is not its channel, and ignore every signal.
    for (Map.Entry<String, Integer> bad : Map.of("app\ud800:", 3, "\udc00app:", 0).entrySet()) {
      assertThatThrownBy(() -> RedisConnection.builder().keyPrefix(bad.getKey()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("keyPrefix")
          .hasMessageContaining("unpaired surrogate")
          .hasMessageContaining("at index " + bad.getValue());
    }
    try (RedisConnection beyondAscii =
        RedisConnection.builder()
            .uri("redis://127.0.0.1:1")
            .keyPrefix("caf\u00e9 \ud83d\ude00:")
            .build()) {
      assertThat(beyondAscii.key("x")).isEqualTo("caf\u00e9 \ud83d\ude00:x");
    }
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
