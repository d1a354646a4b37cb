package dev.aigateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.routing.Backend;
import dev.aigateway.core.routing.BackendPool;
import dev.aigateway.core.routing.CircuitBreakerPolicy;
import dev.aigateway.core.routing.Failover;
import dev.aigateway.core.routing.TrafficSplit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every setter that takes a built configuration also takes its builder, with the same effect. */
class BuilderOverloadsTest {

  private static Backend.Builder backend(String id) {
    return Backend.openAi(id, "https://" + id + ".example.com");
  }

  @Test
  void aGatewayTakesItsBackendPoolAsABuilder() {
    AiGateway gateway =
        AiGateway.builder().backendPool(BackendPool.builder().backend(backend("a"))).build();

    assertThat(gateway.backendPool().backends()).extracting(Backend::id).containsExactly("a");
  }

  @Test
  void aPoolTakesItsPoliciesAndSplitsAsBuilders() {
    BackendPool pool =
        BackendPool.builder()
            .backend(backend("a"))
            .circuitBreaker(
                CircuitBreakerPolicy.builder()
                    .failureCount(7, Duration.ofSeconds(10))
                    .tripDuration(Duration.ofSeconds(3)))
            .failover(Failover.builder().maxAttempts(2))
            .split(TrafficSplit.forModel("gpt-4o").send(10, "gpt-4o-mini"))
            .build();

    assertThat(pool.circuitBreaker().failureCount()).isEqualTo(7);
    assertThat(pool.failover().maxAttempts()).isEqualTo(2);
    assertThat(pool.splitFor("gpt-4o")).isNotNull();
  }
}
