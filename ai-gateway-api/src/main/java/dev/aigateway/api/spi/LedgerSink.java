package dev.aigateway.api.spi;

import dev.aigateway.api.LedgerEntry;
import java.io.IOException;
import java.util.List;

/**
 * Persists a usage ledger's rows: a database table, a file, a message topic.
 *
 * <p>The ledger calls {@link #write} when it is flushed, with one row per (period, window start,
 * consumer, model) that received usage since the previous successful flush. <b>Each row is a
 * delta</b>: the calls, tokens and cost recorded since then, not the running total. Summing every
 * row ever written for a key gives its total, so a sink may append rows (a log, a CSV file) or add
 * them to stored totals ({@code UPDATE ... SET calls = calls + ?}); either way the persisted totals
 * survive a restart of the process.
 *
 * <pre>{@code
 * LedgerSink sink = entries -> {                  // one CSV file per flush; sum them for totals
 *   Path file = dir.resolve("usage-" + System.nanoTime() + ".csv");
 *   try (Writer out = Files.newBufferedWriter(file)) {
 *     UsageLedger.writeCsv(entries, out);
 *   }
 * };
 * }</pre>
 *
 * <p>Guarantees an implementation must give:
 *
 * <ul>
 *   <li><b>All or nothing per call.</b> When {@code write} throws, the ledger keeps the rows and
 *       hands them over again, merged with newer usage, on the next flush; so a failed write must
 *       not have persisted part of them (use a transaction, or make rows idempotent).
 *   <li><b>Refuse rows by name.</b> A row the sink can never write (a value its store cannot hold)
 *       is refused with a {@link LedgerRowsRefusedException} naming it, nothing written: the ledger
 *       logs and leaves out those rows and writes the others at once. Any other exception keeps
 *       every row for the next flush, so a row refused that way would hold back all of them, flush
 *       after flush.
 *   <li><b>Not concurrent with itself.</b> The ledger never calls {@code write} from two threads at
 *       once, so an implementation need not be thread-safe.
 * </ul>
 */
@FunctionalInterface
public interface LedgerSink {

  /**
   * Persists the given rows (never empty). Called on the thread that flushes the ledger.
   *
   * @throws LedgerRowsRefusedException when some rows can never be written; nothing was written,
   *     and the ledger writes the others without them
   * @throws IOException when the rows could not be persisted; they are kept for the next flush
   */
  void write(List<LedgerEntry> entries) throws IOException;
}
