// Hashes a chosen or dropped file in the browser and asks the node whether that SHA-256 was
// stamped; the texts come, in the page's language, from data-msg-* attributes of #drop.
const drop=document.getElementById('drop'), out=document.getElementById('result');
const say=(name, values)=>drop.dataset[name].replace(/\{(\w+)\}/g, (_, k)=>String(values[k]));
async function check(file){
  const digest=await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  const hex=[...new Uint8Array(digest)].map(b=>b.toString(16).padStart(2,'0')).join('');
  const r=await fetch('/v1/evidence/'+hex); const j=await r.json();
  out.textContent = j.count ? say('msgStamped', {name: file.name, hex, count: j.count,
      time: j.receipts[0].entry.seq.time, index: j.receipts[0].index})
    : say('msgNotStamped', {name: file.name, hex});
}
drop.addEventListener('dragover',e=>e.preventDefault());
drop.addEventListener('drop',e=>{e.preventDefault(); check(e.dataTransfer.files[0]);});
document.getElementById('file').addEventListener('change',e=>check(e.target.files[0]));
