package dev.aigateway.core.cache;

import java.util.concurrent.Executor;

/** What an {@link InMemoryVectorStore} hands each of its partitions. */
record VectorStoreSettings(
    long timeToLiveNanos,
    int approximateAbove,
    int searchBeamWidth,
    int searchVisitLimit,
    Executor executor) {}
