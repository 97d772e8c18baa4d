/**
 * A bill's `selectionAmounts`: per selection on it, the usage charged and the advance credit
 * applied. Stored as "<selectionId>|<usage>|<credit>" strings, the form existing databases hold;
 * only this file knows it.
 */
export interface SelectionAmount {
  selectionId: string;
  usage: string;
  credit: string;
}

export const encodeSelectionAmount = (a: SelectionAmount): string => `${a.selectionId}|${a.usage}|${a.credit}`;

export function decodeSelectionAmount(stored: string): SelectionAmount {
  const [selectionId, usage, credit] = stored.split('|');
  return { selectionId, usage, credit };
}

/** The decoded amounts of a bill (none on a bill without them). */
export const selectionAmountsOf = (b: { selectionAmounts?: string[] | null }): SelectionAmount[] => (b.selectionAmounts ?? []).map(decodeSelectionAmount);
