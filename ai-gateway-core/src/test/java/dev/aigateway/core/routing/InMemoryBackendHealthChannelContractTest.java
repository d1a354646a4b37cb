package dev.aigateway.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.spi.BackendHealthChannel;
import dev.aigateway.api.spi.HealthSignal;
import dev.aigateway.store.tck.BackendHealthChannelContract;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.Test;

/**
 * The health channel suite against the in-memory channel, on its own delivery thread, and what it
 * adds: a signal still waiting for delivery when a subscription closes is not delivered to it.
 */
class InMemoryBackendHealthChannelContractTest extends BackendHealthChannelContract {

  @Override
  protected BackendHealthChannel newChannel() {
    return new InMemoryBackendHealthChannel();
  }

  @Test
  void aSignalWaitingForDeliveryWhenItsSubscriptionClosesIsNotDeliveredToIt() {
    Queue<Runnable> deliveries = new ArrayDeque<>();
    InMemoryBackendHealthChannel held = new InMemoryBackendHealthChannel(deliveries::add);
    List<HealthSignal> closedGot = new ArrayList<>();
    List<HealthSignal> openGot = new ArrayList<>();
    BackendHealthChannel.Subscription closing = held.subscribe(closedGot::add);
    held.subscribe(openGot::add);

    held.publish(coolDown("east"));
    closing.close();
    deliveries.forEach(Runnable::run);

    assertThat(openGot).extracting(HealthSignal::backendId).containsExactly("east");
    assertThat(closedGot).isEmpty();
  }
}
