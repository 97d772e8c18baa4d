import { seriesOfTotal } from '../../domain';
import type { BillDoc, DisputeDoc } from '../../store/models';
import type { Deps } from '../deps';

// What an invoice or credit note cites besides itself (issue 21 item 2): the bills it corrects,
// the disputes that caused it and the advance invoices its credit lines draw on. Read when the
// document is rendered (all of it is fixed once the bills are issued and the disputes decided).

export interface CitedDispute {
  id: string;
  /** The number of the bill the dispute was opened on. */
  billNumber: string;
  reason: string;
  resolutionReason: string | null;
  /** The correction accepted (negative credits the buyer). */
  amount: string;
  /** The disputed line of that bill (null: the bill as a whole). */
  line: { description: string; amount: string } | null;
}

export interface DocumentContext {
  /** Earlier issued invoices of the same group and period, oldest first: what an adjustment corrects (earlier credit notes are not cited). */
  corrects: { id: string; number: string }[];
  disputes: CitedDispute[];
  /** Advance invoice numbers by selection id (ADVANCE_CREDIT lines name the invoice they credit). */
  advanceNumbers: Map<string, string>;
}

export const EMPTY_CONTEXT: DocumentContext = { corrects: [], disputes: [], advanceNumbers: new Map() };

export async function documentContext(deps: Deps, bill: BillDoc): Promise<DocumentContext> {
  const { Bill, Dispute } = deps.models;
  const corrects: DocumentContext['corrects'] = [];
  if (bill.kind === 'ADJUSTMENT' && bill.groupKey) {
    const earlier = (await Bill.find({ groupKey: bill.groupKey }).select({ number: 1, sequence: 1, status: 1, total: 1 }).lean().exec()) as BillDoc[];
    earlier
      .filter((e) => e.status !== 'DRAFT' && e.number && (e.sequence ?? 0) < (bill.sequence ?? 0) && seriesOfTotal(e.total) === 'INVOICE')
      .sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0))
      .forEach((e) => corrects.push({ id: e._id, number: e.number! }));
  }
  const found = bill.kind === 'ADJUSTMENT' ? ((await Dispute.find({ adjustmentBillId: bill._id, status: 'ACCEPTED' }).lean().exec()) as DisputeDoc[]) : [];
  const disputed = found.length ? ((await Bill.find({ _id: { $in: [...new Set(found.map((d) => d.billId))] } }).select({ lines: 1, number: 1 }).lean().exec()) as BillDoc[]) : [];
  const byId = new Map(disputed.map((d) => [d._id, d]));
  const disputes = found
    .sort((a, b) => a.openedAt.getTime() - b.openedAt.getTime())
    .map((d): CitedDispute => {
      const line = d.lineIndex !== null && d.lineIndex !== undefined ? byId.get(d.billId)?.lines?.[d.lineIndex] : undefined;
      return {
        id: d._id,
        billNumber: byId.get(d.billId)?.number ?? d.billNumber,
        reason: d.reason,
        resolutionReason: d.resolutionReason ?? null,
        amount: d.resolvedAmount ?? d.amount,
        line: line ? { description: line.description, amount: line.amount } : null,
      };
    });
  for (const c of disputes) if (!corrects.some((x) => x.number === c.billNumber)) corrects.push({ id: '', number: c.billNumber });
  const selections = [...new Set((bill.lines ?? []).filter((l) => l.kind === 'ADVANCE_CREDIT' && l.selectionId).map((l) => l.selectionId!))];
  const advances = selections.length ? ((await Bill.find({ key: { $in: selections.map((s) => `ADVANCE|${s}`) } }).select({ key: 1, number: 1 }).lean().exec()) as BillDoc[]) : [];
  const advanceNumbers = new Map(advances.filter((a) => a.number).map((a) => [a.key!.slice('ADVANCE|'.length), a.number!]));
  return { corrects, disputes, advanceNumbers };
}
