package dev.aigateway.redis;

import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.store.tck.BackendHealthChannelContract;
import dev.aigateway.testing.RedisServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * The health channel suite against a real redis-server: each test's channel on a key prefix of its
 * own, so no test hears another's signals.
 */
class RedisBackendHealthChannelContractTest extends BackendHealthChannelContract {

  private static RedisServer server;
  private static int channels;
  private RedisConnection redis;
  private RedisBackendHealthChannel made;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.start();
  }

  @AfterAll
  static void stopRedis() {
    server.close();
  }

  @Override
  protected BackendHealthChannel newChannel() {
    redis =
        RedisConnection.builder()
            .uri(server.uri())
            .keyPrefix("contract-" + ++channels + ":")
            .commandTimeout(Duration.ofSeconds(2))
            .build();
    made = new RedisBackendHealthChannel(redis);
    return made;
  }

  @Override
  protected void awaitSubscribed(BackendHealthChannel channel) throws InterruptedException {
    RedisBackendHealthChannelTest.await(
        "subscribed to " + made.channel(), Duration.ofSeconds(30), made::isSubscribed);
  }

  @AfterEach
  void closeConnection() {
    made.close(); // before the connection it uses
    redis.close();
  }
}
