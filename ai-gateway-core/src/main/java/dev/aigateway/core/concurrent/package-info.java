/**
 * The library's own concurrency machinery shared by its stages: the bounded daemon threads a part
 * that may block (the token store, a cache store, a vector store, an embedding model) is called on,
 * with a bounded backlog of writes and a call its caller waits for or abandons ({@link
 * dev.aigateway.core.concurrent.BoundedThreads}), and the reporting, in order and after the lock is
 * let go, of the changes a breaker makes under its lock ({@link
 * dev.aigateway.core.concurrent.OrderedReporter}). Internal to the library; may change in any
 * release.
 */
package dev.aigateway.core.concurrent;
