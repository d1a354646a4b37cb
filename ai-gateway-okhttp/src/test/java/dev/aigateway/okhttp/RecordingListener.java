package dev.aigateway.okhttp;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Collects events; {@link #next()} waits briefly for one that a body close may still be sending.
 */
final class RecordingListener implements GatewayListener {
  private final LinkedBlockingQueue<GatewayEvent> queue = new LinkedBlockingQueue<>();
  final List<GatewayEvent> all = new CopyOnWriteArrayList<>();

  @Override
  public void onEvent(GatewayEvent event) {
    all.add(event);
    queue.add(event);
  }

  GatewayEvent next() throws InterruptedException {
    GatewayEvent event = queue.poll(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
    if (event == null) {
      throw new AssertionError("no event within 5 s");
    }
    return event;
  }

  boolean none() {
    return queue.isEmpty();
  }
}
