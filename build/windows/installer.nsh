; TCP Lab's additions to the NSIS installer (electron-builder.yml nsis.include).
; Live capture on Windows needs Npcap (https://npcap.com/), which TCP Lab does
; not bundle (its licence does not allow redistribution without an agreement).
; After installing, tell the user whether Npcap is present and what to choose
; in its installer. TCP Lab itself never runs elevated.
!macro customInstall
  IfFileExists "$WINDIR\System32\Npcap\wpcap.dll" npcap_found 0
  IfFileExists "$WINDIR\Sysnative\Npcap\wpcap.dll" npcap_found 0
    MessageBox MB_OK|MB_ICONINFORMATION "TCP Lab is installed.$\r$\n$\r$\nFile captures, simulations and labs work now. For live capture, install Npcap from https://npcap.com/ and tick $\"Install Npcap in WinPcap API-compatible Mode$\" (leave $\"Restrict Npcap driver's access to Administrators only$\" unticked). See windows\npcap.txt in the TCP Lab folder."
  npcap_found:
!macroend
