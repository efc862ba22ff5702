// Saves a file the background made (an export) straight to the person's downloads, so the document
// never passes through an extension page (docs/design.md rule 3). Firefox's background is a page and has
// blob URLs; Chromium's service worker has none, so it hands the downloads API a data: URL.
import browser from 'webextension-polyfill';

export async function saveToDownloads(filename: string, text: string, mime = 'application/json'): Promise<number> {
  const bytes = new TextEncoder().encode(text);
  const blobUrl = typeof URL.createObjectURL === 'function' ? URL.createObjectURL(new Blob([bytes], { type: mime })) : undefined;
  const url = blobUrl ?? `data:${mime};base64,${base64(bytes)}`;
  try {
    return await browser.downloads.download({ url, filename, saveAs: false, conflictAction: 'uniquify' });
  } finally {
    // The download has its own copy once it started; a minute is ample for Firefox to read the blob.
    if (blobUrl) setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
  }
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
