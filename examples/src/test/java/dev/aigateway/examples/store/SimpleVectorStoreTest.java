package dev.aigateway.examples.store;

import dev.aigateway.api.spi.VectorStore;
import dev.aigateway.store.tck.TimeControl;
import dev.aigateway.store.tck.VectorStoreContract;
import dev.aigateway.testing.ManualClock;
import java.time.Duration;

/** The published vector store suite, run against a store written outside the core. */
class SimpleVectorStoreTest extends VectorStoreContract {

  private final ManualClock clock = ManualClock.at("2026-11-24T10:00:00Z");

  @Override
  protected VectorStore newStore(Duration timeToLive, long maximumEntries) {
    return new SimpleVectorStore(clock, timeToLive, maximumEntries);
  }

  @Override
  protected TimeControl time() {
    return clock::advance;
  }
}
