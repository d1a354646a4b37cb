package dev.aigateway.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.store.tck.TokenLimitStoreContract;
import dev.aigateway.testing.ApiSurface;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * The Redis module's public signatures name the JDK's types and the library's API only, never
 * Lettuce's, Jedis's or Jackson's (the clients it talks to Redis with can change); and the store
 * TCK its tests extend, published for every store implementation, names the JDK's, the SPI's and
 * its own. Each package states its nullness ({@code docs/design.md}).
 */
class ApiSurfaceTest {

  @Test
  void itsPackageStatesItsNullnessAndNamesOnlyTheJdkAndTheLibrarysApi() {
    ApiSurface redis = ApiSurface.of(RedisConnection.class);

    assertThat(redis.packages()).containsExactly("dev.aigateway.redis");
    assertThat(
            redis.departures(
                NullMarked.class, ApiSurface.startingWith("java.").or(ApiSurface.libraryApi())))
        .isEmpty();
  }

  @Test
  void theStoreTckStatesItsNullnessAndNamesOnlyTheJdkTheSpiAndItsOwnTypes() {
    ApiSurface tck = ApiSurface.of(TokenLimitStoreContract.class);

    assertThat(tck.packages()).containsExactly("dev.aigateway.store.tck");
    assertThat(
            tck.departures(
                NullMarked.class,
                ApiSurface.startingWith("java.", "dev.aigateway.api.", "dev.aigateway.store.tck.")))
        .isEmpty();
  }
}
