const drop=document.getElementById('drop'), out=document.getElementById('result');
async function check(file){
  const digest=await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  const hex=[...new Uint8Array(digest)].map(b=>b.toString(16).padStart(2,'0')).join('');
  const r=await fetch('/v1/evidence/'+hex); const j=await r.json();
  out.textContent = j.count ? `${file.name}: SHA-256 ${hex} was stamped ${j.count} time(s); first at `
      + j.receipts[0].entry.seq.time + ' (entry ' + j.receipts[0].index + ')'
    : `${file.name}: SHA-256 ${hex} has not been stamped on this ledger.`;
}
drop.addEventListener('dragover',e=>e.preventDefault());
drop.addEventListener('drop',e=>{e.preventDefault(); check(e.dataTransfer.files[0]);});
document.getElementById('file').addEventListener('change',e=>check(e.target.files[0]));
