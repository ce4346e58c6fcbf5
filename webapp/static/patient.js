// Optional: no double sends; survey choices kept on the phone until saved; offline sends wait.
(function(d,w){var S,P=/\/p\/a\//,E=[].forEach;try{S=w.localStorage}catch(x){}
function ours(f){return f.method=="post"&&P.test(f.action)&&f.closest("main")}
function key(f){return"nt:"+f.getAttribute("action")}
function drop(k){try{S.removeItem(k)}catch(x){}}
function each(f,g){E.call(f.elements,function(e){e.name&&!/hidden|submit/.test(e.type)&&g(e,/radio|checkbox/.test(e.type))})}
function keep(f){var v={};each(f,function(e,t){if(!t||e.checked)(v[e.name]=v[e.name]||[]).push(e.value)});try{S.setItem(key(f),JSON.stringify(v))}catch(x){}}
function restore(f){var v,s={};try{v=JSON.parse(S.getItem(key(f)))}catch(x){}if(!v)return;
each(f,function(e,t){if(t?e.checked:e.value)s[e.name]=1});
each(f,function(e,t){var a=v[e.name];if(a&&!s[e.name])t?e.checked=a.indexOf(e.value)>=0:e.value=a[0]})}
function send(f,b){if(f.busy)return;f.busy=b.disabled=1;
fetch(f.action,{method:"POST",body:new URLSearchParams(new FormData(f))}).then(function(r){
if(r.redirected){if(P.test(r.url))try{Object.keys(S).forEach(function(k){k.indexOf("nt:")||drop(k)})}catch(x){}
return w.location.assign(r.url)}
return r.text().then(function(t){var n=new DOMParser().parseFromString(t,"text/html"),m=n.querySelector("main");
if(!m)return f.submit();d.title=n.title;d.querySelector("main").replaceWith(m);w.scrollTo(0,0)})
},function(){var o=d.getElementById("offline-note");f.busy=b.disabled=0;
if(o){f.insertBefore(o,f.lastElementChild);o.hidden=!1}
if(!f.waits){f.waits=1;w.addEventListener("online",function(){f.waits=0;send(f,b)},{once:!0})}})}
d.addEventListener("input",function(e){var f=e.target.form;f&&ours(f)&&keep(f)});
d.addEventListener("submit",function(e){var f=e.target,b=e.submitter||f.querySelector("[type=submit]");if(!b)return;
if(ours(f)){if(b.name)drop(key(f));// add, remove: steps the server saves, sent as usual
else if(w.fetch){e.preventDefault();return send(f,b)}}
setTimeout(function(){b.disabled=!0})});
E.call(d.forms,function(f){ours(f)&&restore(f)})})(document,window)
