/**
 * Lab reports as PDF in the desktop app: the self-contained HTML report is
 * loaded into a hidden, sandboxed window (no preload, JavaScript off) and
 * printed with `webContents.printToPDF`, so the PDF has the real ladder SVG.
 * Pass it to LabService as `labs.printPdf`; web mode and the CLI use the
 * built-in PDF writer (src-main/labs/pdf.ts) instead.
 */
import { BrowserWindow } from 'electron';

export async function printReportPdf(html: string): Promise<Uint8Array> {
  const win = new BrowserWindow({
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false },
  });
  try {
    await win.loadURL(`data:text/html;charset=utf-8;base64,${Buffer.from(html, 'utf8').toString('base64')}`);
    const pdf = await win.webContents.printToPDF({ printBackground: true, pageSize: 'A4' });
    return new Uint8Array(pdf);
  } finally {
    win.destroy();
  }
}
